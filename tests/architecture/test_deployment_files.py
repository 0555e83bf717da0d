"""docker-compose.yml and the Dockerfile agree with the settings they feed.

No Docker engine runs here, so the files are parsed and checked against what
project/settings.py and gunicorn.conf.py read.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
APP_SERVICES = [name for name in ("web", "relay") if name in SERVICES]


def variables_read(path: Path) -> set[str]:
    """Names read with env.<cast>("NAME"), env("NAME") or os.environ.get("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value)
            and _reads_env(node.func)
        ):
            names.add(node.args[0].value)
    return names


def _reads_env(func: ast.expr) -> bool:
    text = ast.unparse(func)
    return text == "env" or text.startswith(("env.", "os.environ.", "os.getenv"))


READ = variables_read(ROOT / "project" / "settings.py") | variables_read(
    ROOT / "gunicorn.conf.py"
)


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: str(value) for name, value in env.items()}


def instructions(keyword: str) -> list[str]:
    """Arguments of each Dockerfile instruction (continued lines joined)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [keyword]
    ]


def test_the_reader_finds_the_variables_settings_read():
    # Guards the check below against a parser that silently finds nothing.
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL", "WEB_CONCURRENCY"} <= READ


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_variable_an_app_service_gets_is_one_the_settings_read(service):
    unknown = set(environment(service)) - READ
    assert not unknown, f"{service} sets variables nothing reads: {sorted(unknown)}"


def test_the_backing_services_are_there():
    assert {"db", "redis", "rabbitmq", "web"} <= set(SERVICES)
    assert SERVICES["db"]["image"] == "postgres:16"


@pytest.mark.parametrize("service", ["db", "redis", "web", "rabbitmq"])
def test_services_have_healthchecks(service):
    check = SERVICES[service]["healthcheck"]
    assert not check.get("disable")
    assert check["test"]


def test_the_database_keeps_its_data_in_a_named_volume():
    mounts = SERVICES["db"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in COMPOSE["volumes"]


def test_web_waits_for_a_healthy_database_and_redis():
    depends = SERVICES["web"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"


def test_web_publishes_the_port_gunicorn_binds_and_checks_readiness():
    web = SERVICES["web"]
    bind_port = environment("web")["GUNICORN_BIND"].rsplit(":", 1)[1]
    published = [str(mapping).rsplit(":", 1) for mapping in web["ports"]]
    assert any(container == bind_port for _, container in published)
    check = " ".join(web["healthcheck"]["test"])
    assert f"127.0.0.1:{bind_port}/readyz" in check
    assert web["build"] == "."


def test_app_services_reach_the_backing_services_by_name_and_credentials():
    db = environment("db")
    for service in APP_SERVICES:
        url = urlsplit(environment(service)["DATABASE_URL"])
        assert (url.hostname, url.port, url.path) == (
            "db",
            5432,
            "/" + db["POSTGRES_DB"],
        )
        assert (url.username, url.password) == (
            db["POSTGRES_USER"],
            db["POSTGRES_PASSWORD"],
        )
    assert urlsplit(environment("web")["REDIS_URL"]).hostname == "redis"
    if "relay" in SERVICES:
        amqp = urlsplit(environment("relay")["AMQP_URL"])
        rabbit = environment("rabbitmq")
        assert amqp.hostname == "rabbitmq"
        assert (amqp.username, amqp.password) == (
            rabbit["RABBITMQ_DEFAULT_USER"],
            rabbit["RABBITMQ_DEFAULT_PASS"],
        )


def test_app_services_refuse_to_start_without_a_secret_key():
    for service in APP_SERVICES:
        env = environment(service)
        assert env["DJANGO_DEBUG"] == "false"
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_the_dockerfile_builds_in_stages():
    stages = instructions("FROM")
    assert len(stages) >= 2
    assert all(" AS " in stage.upper() for stage in stages)
    assert any(copy.startswith("--from=") for copy in instructions("COPY"))


def test_the_image_runs_as_an_unprivileged_user():
    users = instructions("USER")
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_image_collects_static_files_at_build_time():
    assert any("collectstatic" in run for run in instructions("RUN"))


def test_the_image_migrates_then_serves_with_the_project_gunicorn_config():
    [command] = instructions("CMD")
    words = shlex.split(" ".join(ast.literal_eval(command)))
    script = " ".join(words)
    assert script.index("manage.py migrate") < script.index("gunicorn")
    assert "--config gunicorn.conf.py project.wsgi" in script
    assert "&&" in script  # gunicorn starts only if the migrations succeeded


def test_the_image_checks_readiness_on_the_port_it_exposes():
    [port] = instructions("EXPOSE")
    [check] = instructions("HEALTHCHECK")
    assert f"127.0.0.1:{port}/readyz" in check


def test_the_sandbox_provider_is_a_service_of_its_own_that_web_reaches_by_name():
    provider = SERVICES["payment-provider"]
    assert provider["command"][:3] == ["python", "-m", "sandbox_provider"]
    port = provider["command"][provider["command"].index("--port") + 1]
    web = environment("web")
    assert web["PAYMENTS_PROVIDER"] == "stripe"
    assert urlsplit(web["STRIPE_API_BASE"]) == urlsplit(
        f"http://payment-provider:{port}"
    )
    assert SERVICES["web"]["depends_on"]["payment-provider"]["condition"] == (
        "service_healthy"
    )
    assert f"127.0.0.1:{port}/_sandbox/health" in " ".join(
        provider["healthcheck"]["test"]
    )


def test_the_provider_and_web_share_their_secrets():
    provider, web = environment("payment-provider"), environment("web")
    assert provider["SANDBOX_API_KEY"] == web["STRIPE_SECRET_KEY"]
    assert provider["SANDBOX_WEBHOOK_SECRET"] == web["STRIPE_WEBHOOK_SECRET"]
    hook = urlsplit(provider["SANDBOX_WEBHOOK_URL"])
    bind_port = web["GUNICORN_BIND"].rsplit(":", 1)[1]
    assert (hook.hostname, str(hook.port), hook.path) == (
        "web",
        bind_port,
        "/api/v1/webhooks/payments/",
    )


def test_the_provider_keeps_its_books_in_a_named_volume():
    ledger = environment("payment-provider")["SANDBOX_LEDGER"]
    mounts = SERVICES["payment-provider"]["volumes"]
    named = [m.split(":") for m in mounts]
    assert any(
        volume in COMPOSE["volumes"] and ledger.startswith(path + "/")
        for volume, path in named
    )
