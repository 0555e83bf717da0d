"""With DEBUG off, gunicorn serves the collected static files through whitenoise.

As in the container: `collectstatic` fills STATIC_ROOT (here a temporary folder),
then the production server answers for the admin's and Swagger UI's assets.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import urllib.request

import pytest
from django.db import connection

from tests.gunicorn_support import ROOT, call, gunicorn, server_env
from tests.live_server import database_url

pytestmark = pytest.mark.gunicorn

ADMIN_CSS = "/static/admin/css/base.css"
SWAGGER_JS = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """Collect the static files into a temporary STATIC_ROOT and serve them."""
    static_root = str(tmp_path_factory.mktemp("static"))
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    env = server_env(database, 0, DJANGO_STATIC_ROOT=static_root)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    with gunicorn(database, name="static", DJANGO_STATIC_ROOT=static_root) as url:
        yield url


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


@pytest.mark.parametrize("path", [ADMIN_CSS, SWAGGER_JS])
def test_assets_are_served_with_debug_off(server, path):
    status, headers, body = fetch(server + path)

    assert status == 200
    assert len(body) > 1000
    assert "max-age" in headers["Cache-Control"]


def test_assets_come_from_the_collected_compressed_files(server):
    # Only collectstatic writes the .gz variants: served, they prove STATIC_ROOT.
    status, headers, body = fetch(server + ADMIN_CSS, **{"Accept-Encoding": "gzip"})

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"body" in gzip.decompress(body)


def test_the_swagger_page_links_the_served_bundle(server):
    status, _, page = fetch(server + "/api/docs/")

    assert status == 200
    assert re.search(rf'src="{re.escape(SWAGGER_JS)}"', page.decode())


def test_an_unknown_static_file_is_404(server):
    assert call(server + "/static/admin/css/no-such-file.css").status == 404
