"""Demo data: a small shop with a history, made through the business services only.

Everything is derived from a running number, so every run plans the same data;
what already exists is kept, so a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.management.base import CommandError

from business.accounts import AccountService, UserRecord
from business.actor import Actor
from business.catalog import CatalogService, ProductQuery
from business.errors import AuthenticationFailed, PaymentDeclined, RuleViolation
from business.orders import NewLine, OrderRecord, OrderService
from business.pagination import MAX_PAGE_SIZE
from business.payments import PaymentService


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
_SKU_PREFIX = "DEMO-"
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


class DemoSeeder:
    """Fill an empty database with demo products, customers and orders."""

    def __init__(
        self,
        *,
        accounts: AccountService | None = None,
        catalog: CatalogService | None = None,
        orders: OrderService | None = None,
        payments: PaymentService | None = None,
    ) -> None:
        self._accounts = accounts or AccountService()
        self._catalog = catalog or CatalogService()
        self._orders = orders or OrderService()
        self._payments = payments or PaymentService()

    def seed(
        self, *, actor: Actor, plan: DemoPlan, if_empty: bool = False
    ) -> DemoSummary:
        """Create what the plan has and the database lacks; each step is a use case."""
        orderable = [i for i in range(1, plan.products + 1) if _orderable(i)]
        if plan.orders and not orderable:
            raise CommandError("products: Demo orders need at least one demo product.")
        if if_empty and self._has_products(actor):
            return DemoSummary(seeded=False)
        self._ensure_staff(actor)
        buyers, new_customers = self._ensure_customers(actor, plan.customers)
        new_products = sum(
            self._ensure_product(actor, i) for i in range(1, plan.products + 1)
        )
        new_orders = self._ensure_orders(actor, plan.orders, buyers, orderable)
        return DemoSummary(
            seeded=True,
            products=new_products,
            customers=new_customers,
            orders=new_orders,
        )

    def _has_products(self, actor: Actor) -> bool:
        # Staff see inactive products too: any product at all makes it non-empty.
        query = ProductQuery(page_size=1)
        return self._catalog.list_products(actor=actor, query=query).total > 0

    def _ensure_staff(self, actor: Actor) -> None:
        # A superuser, so that the advertised admin login can use the admin.
        with _unless_taken("username"):
            self._accounts.create_superuser(
                actor=actor,
                username=STAFF.username,
                email=STAFF.email,
                password=STAFF.password,
            )

    def _ensure_customers(self, actor: Actor, count: int) -> tuple[list[Actor], int]:
        """Return the demo customers as buyers, and how many of them are new."""
        logins = [CUSTOMER, *map(_customer, range(2, count + 1))]
        customers = [self._ensure_customer(login) for login in logins]
        buyers = [
            replace(actor, user_id=user.id, is_staff=False) for user, _ in customers
        ]
        return buyers, sum(new for _, new in customers)

    def _ensure_customer(self, login: DemoLogin) -> tuple[UserRecord, bool]:
        """Register this demo customer, or log in as it; say if it is new."""
        with _unless_taken("username"):
            user = self._accounts.register(
                username=login.username, email=login.email, password=login.password
            )
            return user, True
        try:
            user = self._accounts.authenticate(
                username=login.username, password=login.password
            )
        except AuthenticationFailed as exc:
            raise CommandError(
                f"The demo login {login.username!r} exists with another password."
            ) from exc
        return user, False

    def _ensure_product(self, actor: Actor, i: int) -> bool:
        """Add this demo product unless its sku is there; say if it is new."""
        with _unless_taken("sku"):
            self._catalog.create_product(actor=actor, fields=_product(i))
            return True
        return False

    def _ensure_orders(
        self, actor: Actor, target: int, buyers: list[Actor], orderable: list[int]
    ) -> int:
        """Place orders until the demo customers have `target`; count the new ones."""
        placed = sum(self._placed(buyer) for buyer in buyers)
        if placed >= target:
            return 0
        product_ids = self._product_ids(actor, orderable)
        for n in range(placed, target):
            self._seed_order(actor, n, buyers, product_ids)
        return target - placed

    def _placed(self, buyer: Actor) -> int:
        """Return how many orders this demo customer has placed."""
        return self._orders.list_orders(
            actor=buyer, status=None, page=1, page_size=1
        ).total

    def _product_ids(self, actor: Actor, numbers: list[int]) -> list[int]:
        """Return the ids of these demo products, found by sku in the catalog."""
        ids: dict[str, int] = {}
        page, more = 1, True
        while more:
            query = ProductQuery(search=_SKU_PREFIX, page=page, page_size=MAX_PAGE_SIZE)
            found = self._catalog.list_products(actor=actor, query=query)
            ids.update((product.sku, product.id) for product in found.items)
            page, more = page + 1, found.has_next
        return [ids[_sku(i)] for i in numbers]

    def _seed_order(
        self, actor: Actor, n: int, buyers: list[Actor], product_ids: list[int]
    ) -> None:
        buyer = buyers[n % len(buyers)]
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


@contextmanager
def _unless_taken(field: str) -> Iterator[None]:
    """Take a use case's "this `field` is already taken" to mean "it is there"."""
    try:
        yield
    except RuleViolation as exc:
        if not any(e.field == field and e.code == "unique" for e in exc.errors):
            raise


def _customer(i: int) -> DemoLogin:
    return DemoLogin(
        username=f"customer{i}",
        email=f"customer{i}@example.com",
        password=CUSTOMER.password,
    )


def _sku(i: int) -> str:
    return f"{_SKU_PREFIX}{i:04d}"


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
