"""The statements the data layer writes by hand (data/sql.py) also run on SQLite.

`make run` serves from SQLite; the suite runs on PostgreSQL. This runs the hand-
written paths (product list, detail, stock reservation, order and event inserts,
the token user lookup) in a child process against a fresh SQLite database.
"""

from __future__ import annotations

import json

from presentation.management.demo import CUSTOMER
from tests.commands.support import manage

SCRIPT = """
import json
from business.accounts import AccountService
from business.actor import Actor
from business.catalog.service import CatalogService, ProductQuery
from presentation.management.demo import CUSTOMER
from business.errors import BusinessError
from business.orders import NewLine, OrderService

catalog, orders = CatalogService(), OrderService()
staff = Actor.system(request_id="sqlite-test")
page = catalog.list_products(
    actor=staff, query=ProductQuery(ordering="-price", page_size=5)
)
searched = catalog.list_products(
    actor=staff, query=ProductQuery(search=page.items[0].sku.lower(), in_stock=None)
)
first, second = [p for p in page.items if p.is_active and p.stock >= 2][:2]
buyer_record = AccountService().authenticate(
    username=CUSTOMER.username, password=CUSTOMER.password
)
buyer = Actor(user_id=buyer_record.id, request_id="sqlite-test")
order = orders.place_order(
    actor=buyer,
    lines=[NewLine(product_id=second.id, quantity=2),
           NewLine(product_id=first.id, quantity=1)],
)
try:
    orders.place_order(
        actor=buyer,
        lines=[NewLine(product_id=first.id, quantity=1),
               NewLine(product_id=second.id, quantity=second.stock)],
    )
    refused = None
except BusinessError as exc:
    refused = exc.code
after = {
    p: catalog.get_product(actor=staff, product_id=p) for p in (first.id, second.id)
}
print(json.dumps({
    "total": page.total,
    "prices": [str(p.price) for p in page.items],
    "found": [p.sku for p in searched.items],
    "sku": page.items[0].sku,
    "order_total": str(order.total),
    "expected_total": str(first.price + 2 * second.price),
    "events": [e.type for e in orders.list_events(actor=buyer, order_id=order.id)],
    "refused": refused,
    "stock_before": [first.stock, second.stock],
    "stock_after": [after[first.id].stock, after[second.id].stock],
    "token_user": AccountService().active_user(buyer_record.id).username,
    "created_at_type": type(after[first.id].created_at).__name__,
}))
"""


def test_the_hand_written_statements_run_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert manage("migrate", "--no-input", "-v", "0", url=url).returncode == 0
    seeded = manage("seed_demo_data", url=url)
    assert seeded.returncode == 0, seeded.stderr

    result = manage("shell", "-c", SCRIPT, url=url)

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])  # after the shell's banner
    assert out["total"] == 24
    prices = [float(p) for p in out["prices"]]
    assert prices == sorted(prices, reverse=True)
    assert out["sku"] in out["found"]
    assert out["order_total"] == out["expected_total"]
    assert out["events"] == ["order.created"]
    assert out["refused"] == "insufficient-stock"
    first, second = out["stock_before"]
    assert out["stock_after"] == [first - 1, second - 2]
    assert out["token_user"] == CUSTOMER.username
    assert out["created_at_type"] == "datetime"
