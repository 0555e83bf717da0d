"""Demo data: a small shop with a history, made through the real use cases.

Everything is derived from a running number, so every run plans the same data;
what already exists is kept, so a second run adds nothing.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from decimal import Decimal

from business.accounts.service import AccountService
from business.actor import Actor
from business.catalog.service import CatalogService
from business.errors import PaymentDeclined, PermissionDenied, RuleViolation
from business.orders.service import NewLine, OrderService
from business.payments.service import PaymentService
from data.accounts.repository import UserRecord
from data.catalog.repository import ProductRepository
from data.orders.repository import OrderRecord, OrderRepository


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoLogin:
    """Fixed credentials of a demo account, printed for whoever runs the demo."""

    username: str
    email: str
    password: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoPlan:
    """How much demo data to have: products, customers, orders (target totals)."""

    products: int = 24
    customers: int = 3
    orders: int = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSummary:
    """What a run created; `seeded` is False when it was skipped."""

    seeded: bool
    products: int = 0
    customers: int = 0
    orders: int = 0


STAFF = DemoLogin(
    username="admin", email="admin@example.com", password="orderly-admin-2024!"
)
CUSTOMER = DemoLogin(
    username="demo", email="demo@example.com", password="orderly-demo-2024!"
)
_ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Pocket", "Sturdy")
_NOUNS = ("Mug", "Notebook", "Lamp", "Backpack")
# What happens to the n-th demo order after it is placed, in turn: every status,
# a refund and a declined payment show up in a dozen orders.
_FATES = (
    ("pay", "ship", "deliver"),
    ("pay", "ship"),
    ("pay",),
    (),
    ("cancel",),
    ("pay", "refund"),
    ("decline",),
)


class DemoDataService:
    """Fill an empty database with demo products, customers and orders."""

    def __init__(
        self,
        *,
        accounts: AccountService | None = None,
        catalog: CatalogService | None = None,
        orders: OrderService | None = None,
        payments: PaymentService | None = None,
        products: ProductRepository | None = None,
        order_rows: OrderRepository | None = None,
    ) -> None:
        self._accounts = accounts or AccountService()
        self._catalog = catalog or CatalogService()
        self._orders = orders or OrderService()
        self._payments = payments or PaymentService()
        self._products = products or ProductRepository()
        self._order_rows = order_rows or OrderRepository()

    def seed_demo_data(
        self, *, actor: Actor, plan: DemoPlan, if_empty: bool = False
    ) -> DemoSummary:
        """Create what the plan has and the database lacks; each step is a use case."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff may seed demo data.")
        orderable = [i for i in range(1, plan.products + 1) if _orderable(i)]
        if plan.orders and not orderable:
            raise RuleViolation.single(
                "products", "invalid", "Demo orders need at least one demo product."
            )
        if if_empty and self._products.count():
            return DemoSummary(seeded=False)
        # A superuser, so that the advertised admin login can use the admin.
        self._accounts.ensure_user(
            actor=actor,
            username=STAFF.username,
            email=STAFF.email,
            password=STAFF.password,
            is_staff=True,
            is_superuser=True,
        )
        customers, new_customers = self._ensure_customers(actor, plan.customers)
        new_products = sum(
            self._ensure_product(actor, i) for i in range(1, plan.products + 1)
        )
        product_ids = [self._product_id(_sku(i)) for i in orderable]
        placed = self._order_rows.count(customer_ids=[c.id for c in customers])
        for n in range(placed, plan.orders):
            self._seed_order(actor, n, customers, product_ids)
        return DemoSummary(
            seeded=True,
            products=new_products,
            customers=new_customers,
            orders=max(plan.orders - placed, 0),
        )

    def _product_id(self, sku: str) -> int:
        product = self._products.find_by_sku(sku)
        assert product is not None, f"demo product {sku} was just ensured"
        return product.id

    def _ensure_customers(
        self, actor: Actor, count: int
    ) -> tuple[list[UserRecord], int]:
        customers, created = [], 0
        for i in range(1, max(count, 1) + 1):
            login = CUSTOMER if i == 1 else _customer(i)
            user, new = self._accounts.ensure_user(
                actor=actor,
                username=login.username,
                email=login.email,
                password=login.password,
            )
            customers.append(user)
            created += new
        return customers, created

    def _ensure_product(self, actor: Actor, i: int) -> bool:
        if self._products.find_by_sku(_sku(i)) is not None:
            return False
        self._catalog.create_product(actor=actor, fields=_product(i))
        return True

    def _seed_order(
        self, actor: Actor, n: int, customers: list[UserRecord], product_ids: list[int]
    ) -> None:
        buyer = replace(actor, user_id=customers[n % len(customers)].id, is_staff=False)
        count = min(1 + n % 3, len(product_ids))
        lines = [
            NewLine(
                product_id=product_ids[(n * 5 + j) % len(product_ids)],
                quantity=1 + (n + j) % 3,
            )
            for j in range(count)
        ]
        order = self._orders.place_order(actor=buyer, lines=lines)
        for step in _FATES[n % len(_FATES)]:
            self._take(step, order, buyer=buyer, staff=actor)

    def _take(
        self, step: str, order: OrderRecord, *, buyer: Actor, staff: Actor
    ) -> None:
        """Move a demo order one step: as its customer, or as the batch job."""
        if step in ("pay", "decline"):
            token = "tok_visa" if step == "pay" else "tok_chargeDeclined"
            # A declined attempt is part of the demo history, not a failure.
            with suppress(PaymentDeclined):
                self._payments.pay_order(
                    actor=buyer, order_id=order.id, amount=order.total, token=token
                )
        elif step == "cancel":
            self._orders.cancel_order(actor=buyer, order_id=order.id)
        elif step == "refund":
            self._orders.cancel_order(actor=staff, order_id=order.id)
        elif step == "ship":
            self._orders.ship_order(actor=staff, order_id=order.id)
        else:
            self._orders.deliver_order(actor=staff, order_id=order.id)


def _customer(i: int) -> DemoLogin:
    return DemoLogin(
        username=f"customer{i}",
        email=f"customer{i}@example.com",
        password=CUSTOMER.password,
    )


def _sku(i: int) -> str:
    return f"DEMO-{i:04d}"


def _orderable(i: int) -> bool:
    """Every 8th demo product is out of stock and every 11th inactive."""
    return i % 8 != 0 and i % 11 != 0


def _product(i: int) -> dict[str, object]:
    kind = f"{_ADJECTIVES[(i - 1) % 6]} {_NOUNS[(i - 1) // 6 % 4]}"
    series = f" {(i - 1) // 24 + 1}" if i > 24 else ""
    return {
        "sku": _sku(i),
        "name": f"{kind}{series}",
        "description": f"Demo product {i}: a {kind.lower()}.",
        "price": Decimal(f"{(i * 37) % 97 + 3}.90"),
        "stock": 0 if i % 8 == 0 else 40 + (i * 53) % 160,
        "is_active": i % 11 != 0,
    }
