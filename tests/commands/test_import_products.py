"""`manage.py import_products`: all or nothing, every bad line, upsert by sku."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from decimal import Decimal

import pytest

from data.catalog.models import Product
from tests.commands.support import ROOT, call, database_url, manage
from tests.factories import ProductFactory

HEADER = "sku,name,description,price,stock,is_active\n"
GOOD = HEADER + "ab-1,Widget,A widget,19.90,5,yes\nAB-2,Gadget,,5,0,\n"
BAD = HEADER + (
    "OK-1,Fine,,1.00,1,true\n"
    "bad sku,Name,,1.999,1,\n"
    'OK-2,"Two\nlines",,1.00,-3,\n'
    "ok-1,Again,,1.00,1,\n"
    "OK-3,Fine,,1.00,1,perhaps\n"
)
BAD_REPORT = [
    "line 3: sku: Use 1 to 64 of A-Z, 0-9, '-' and '_'.",
    "line 3: price: Use at most 2 decimal places.",
    "line 4: stock: Use 0 to 2147483647.",
    "line 6: sku: duplicate of line 2",
    "line 7: is_active: Use true/false, 1/0 or yes/no.",
]


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, name: str = "products.csv") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.mark.django_db
class TestCallCommand:
    def test_imports_new_products(self, csv_file):
        result = call("import_products", csv_file(GOOD))
        assert result.code == 0, result.err
        assert result.out.startswith("created 2, updated 0, unchanged 0 (2 rows in ")
        widget = Product.objects.get(sku="AB-1")
        assert (widget.name, widget.price, widget.stock) == (
            "Widget",
            Decimal("19.90"),
            5,
        )

    def test_a_second_import_reports_unchanged(self, csv_file):
        path = csv_file(GOOD)
        call("import_products", path)
        result = call("import_products", path)
        assert result.out.startswith("created 0, updated 0, unchanged 2 ")

    def test_changed_rows_are_updated(self, csv_file):
        ProductFactory(sku="AB-1", name="Old", description="", price=Decimal("1.00"))
        result = call("import_products", csv_file(GOOD))
        assert result.out.startswith("created 1, updated 1, unchanged 0 ")
        assert Product.objects.get(sku="AB-1").name == "Widget"

    def test_bad_rows_report_every_bad_line_and_write_nothing(self, csv_file):
        ProductFactory(sku="OK-1", name="Untouched")
        result = call("import_products", csv_file(BAD))
        assert result.code == 1
        assert result.err.splitlines() == [
            *BAD_REPORT,
            "CommandError: " + result.err.splitlines()[-1].split(": ", 1)[1],
        ]
        assert result.err.splitlines()[-1].endswith(
            "products.csv: 4 bad lines; nothing was written."
        )
        assert list(Product.objects.values_list("sku", "name")) == [
            ("OK-1", "Untouched")
        ]

    def test_nul_characters_are_reported_by_line_and_field(self, csv_file):
        text = (
            "sku,name,description,price,stock\n"
            "AB-1,Mu\x00g,,1.00,5\n"
            "AB-2,Tea,de\x00sc,2.00,3\n"
            "AB-\x003,Cup,,1.00,1\n"
        )
        result = call("import_products", csv_file(text))
        assert result.code == 1
        assert result.err.splitlines()[:-1] == [
            "line 2: name: Must not contain NUL characters.",
            "line 3: description: Must not contain NUL characters.",
            "line 4: sku: Use 1 to 64 of A-Z, 0-9, '-' and '_'.",
        ]
        assert not Product.objects.exists()

    def test_a_duplicate_sku_names_its_first_line(self, csv_file):
        text = HEADER + "A-1,One,,1,1,\nB-1,Two,,1,1,\na-1,Three,,1,1,\n"
        result = call("import_products", csv_file(text))
        assert result.err.splitlines()[0] == "line 4: sku: duplicate of line 2"
        assert not Product.objects.exists()

    def test_a_multi_line_record_is_reported_at_its_first_line(self, csv_file):
        text = HEADER + 'A-1,"Long\n\nname",x,1,1,\nB-1,"Split\nname","d\ne",x,1,\n'
        result = call("import_products", csv_file(text))
        assert result.err.splitlines()[0] == (
            "line 5: price: Use a decimal number such as 19.90."
        )

    def test_is_active_accepts_the_documented_values(self, csv_file):
        cells = ["true", "FALSE", "1", "0", "Yes", "no", ""]
        rows = "".join(f"S-{i},N,,1,1,{cell}\n" for i, cell in enumerate(cells))
        assert call("import_products", csv_file(HEADER + rows)).code == 0
        flags = dict(Product.objects.values_list("sku", "is_active"))
        assert [flags[f"S-{i}"] for i in range(len(cells))] == [
            True,
            False,
            True,
            False,
            True,
            False,
            True,
        ]

    def test_a_dry_run_counts_and_writes_nothing(self, csv_file):
        result = call("import_products", csv_file(GOOD), "--dry-run")
        assert result.out.startswith(
            "dry run, nothing written: created 2, updated 0, unchanged 0 "
        )
        assert not Product.objects.exists()

    def test_a_missing_file_is_one_line_and_exit_1(self, tmp_path):
        result = call("import_products", str(tmp_path / "nope.csv"))
        assert result.code == 1
        assert result.err == (
            f"CommandError: {tmp_path / 'nope.csv'}: No such file or directory.\n"
        )

    def test_a_missing_column_is_one_line_and_exit_1(self, csv_file):
        result = call("import_products", csv_file("sku,name,price\nA-1,One,1\n"))
        assert result.code == 1
        assert result.err.endswith(
            "products.csv: Missing required column stock in the header (line 1).\n"
        )
        assert len(result.err.splitlines()) == 1

    def test_a_file_that_is_not_utf8_fails_cleanly(self, tmp_path):
        path = tmp_path / "latin1.csv"
        path.write_bytes(HEADER.encode() + "A-1,Caf\xe9,,1,1,\n".encode("latin-1"))
        result = call("import_products", str(path))
        assert result.code == 1 and "not UTF-8 text" in result.err
        assert not Product.objects.exists()

    def test_a_batch_size_below_one_is_a_usage_error(self, csv_file):
        result = call("import_products", csv_file(GOOD), "--batch-size", "0")
        assert result.code == 2
        assert "--batch-size: use at least 1, not 0" in result.err

    def test_small_batches_import_the_same(self, csv_file):
        rows = "".join(f"B-{i},N{i},,1.{i % 10}0,{i},\n" for i in range(25))
        result = call("import_products", csv_file(HEADER + rows), "--batch-size", "4")
        assert result.out.startswith("created 25, updated 0, unchanged 0 ")
        assert Product.objects.count() == 25


@pytest.mark.django_db(transaction=True)
class TestSubprocess:
    def test_imports_then_reports_unchanged(self, csv_file):
        path = csv_file(GOOD)
        first = manage("import_products", path)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("created 2, updated 0, unchanged 0 ")
        again = manage("import_products", path)
        assert again.stdout.startswith("created 0, updated 0, unchanged 2 ")
        assert Product.objects.count() == 2

    def test_bad_rows_exit_1_with_every_line_and_no_traceback(self, csv_file):
        result = manage("import_products", csv_file(BAD))
        assert result.returncode == 1
        assert result.stderr.splitlines()[:-1] == BAD_REPORT
        assert result.stderr.splitlines()[-1].startswith("CommandError: ")
        assert "Traceback" not in result.stderr
        assert not Product.objects.exists()

    def test_a_missing_file_exits_1_with_one_line(self, tmp_path):
        result = manage("import_products", str(tmp_path / "nope.csv"))
        assert result.returncode == 1
        assert len(result.stderr.splitlines()) == 1

    def test_a_missing_argument_exits_2_with_one_line(self):
        result = manage("import_products")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "manage.py import_products: error: the following arguments are "
            "required: FILE.csv"
        ]


def run_on_a_terminal(*args: str) -> bytes:
    """Run manage.py with stderr on a pseudo-terminal; return what it showed there."""
    leader, follower = pty.openpty()
    # A fresh pty is 0 columns wide, and tqdm draws nothing in no columns.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    child.wait(timeout=60)
    os.close(leader)
    return shown


@pytest.mark.django_db(transaction=True)
def test_a_progress_bar_is_shown_on_a_terminal_only(csv_file):
    path = csv_file(GOOD)
    assert b"%|" in run_on_a_terminal("import_products", path)
    assert b"%|" not in run_on_a_terminal("import_products", path, "-v", "0")
    assert "%|" not in manage("import_products", path).stderr


def test_the_sqlite_path_imports_and_reimports(tmp_path, csv_file):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert manage("migrate", "--no-input", "-v", "0", url=url).returncode == 0
    path = csv_file(GOOD)
    assert manage("import_products", path, "--dry-run", url=url).stdout.startswith(
        "dry run, nothing written: created 2, updated 0, unchanged 0 "
    )
    assert manage("import_products", path, url=url).stdout.startswith(
        "created 2, updated 0, unchanged 0 "
    )
    changed = csv_file("sku,name,price,stock\nAB-1,Renamed,19.90,5\n", "two.csv")
    assert manage("import_products", changed, url=url).stdout.startswith(
        "created 0, updated 1, unchanged 0 "
    )
    bad = manage("import_products", csv_file(BAD, "bad.csv"), url=url)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[:-1] == BAD_REPORT


SQLITE_PRICES = """
import json
from decimal import Decimal
from django.db import transaction
from data.catalog.importer import ProductImporter, StagedRow
from data.catalog.models import Product

def stage(importer):
    importer.create_stage()
    with importer.stage_writer() as write:
        write([
            StagedRow(line=line, values={
                "sku": sku, "name": "P", "description": "", "price": Decimal(price),
                "stock": 1, "is_active": True,
            })
            for line, sku, price in ((2, "TOP-1", "999999.99"), (3, "LOW-1", "0.10"))
        ])

importer = ProductImporter()
with transaction.atomic():
    stage(importer)
    staged = [str(v["price"]) for c in importer._staged_chunks() for v in c.values()]
    created = importer.upsert().created
with transaction.atomic():
    stage(importer)
    unchanged = importer.preview().unchanged
print(json.dumps({
    "staged": staged, "created": created, "unchanged": unchanged,
    "stored": sorted(str(p) for p in Product.objects.values_list("price", flat=True)),
}))
"""


def test_the_sqlite_stage_keeps_prices_exact(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert manage("migrate", "--no-input", "-v", "0", url=url).returncode == 0
    result = manage("shell", "-c", SQLITE_PRICES, url=url)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    # A "decimal" column on SQLite holds a REAL: 0.10 would come back as 0.10000000.
    assert out["staged"] == ["999999.99", "0.10"]
    assert (out["created"], out["unchanged"]) == (2, 2)
    assert out["stored"] == ["0.10", "999999.99"]
