"""`manage.py seed_demo_data`: a small shop with a history, safe to run twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from presentation.management.base import (
    OrderlyCommand,
    non_negative_int,
    positive_int,
)
from presentation.management.demo import CUSTOMER, STAFF, DemoPlan, DemoSeeder

_DEFAULTS = DemoPlan()


class Command(OrderlyCommand):
    help = (
        "Create deterministic demo data through the business services: a staff "
        "user, customers, products and orders in every status, with payments and "
        "events. The numbers are target totals, so a second run adds nothing. "
        "Prints the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=non_negative_int,
            default=_DEFAULTS.products,
            metavar="N",
            help=f"Demo products to have (default {_DEFAULTS.products}).",
        )
        parser.add_argument(
            "--customers",
            type=positive_int,
            default=_DEFAULTS.customers,
            metavar="N",
            help="Demo customers to have, the 'demo' login included "
            f"(default {_DEFAULTS.customers}).",
        )
        parser.add_argument(
            "--orders",
            type=non_negative_int,
            default=_DEFAULTS.orders,
            metavar="N",
            help=f"Demo orders to have in total (default {_DEFAULTS.orders}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no products (used by `make run`).",
        )

    def run(
        self, *, products: int, customers: int, orders: int, if_empty: bool, **_: Any
    ) -> None:
        plan = DemoPlan(products=products, customers=customers, orders=orders)
        summary = DemoSeeder().seed(actor=self.actor(), plan=plan, if_empty=if_empty)
        if summary.seeded:
            self.stdout.write(
                f"Demo data: created {summary.products} products, "
                f"{summary.customers} customers, {summary.orders} orders."
            )
        else:
            self.stdout.write("The database already has products; nothing seeded.")
        self.stdout.write(f"Staff login:    {STAFF.username} / {STAFF.password}")
        self.stdout.write(f"Customer login: {CUSTOMER.username} / {CUSTOMER.password}")
