"""The classes tracing wraps, named one by one: services, repositories, adapters.

Only the classes listed here get spans. A test (tests/integration/test_tracing.py)
walks business/ and data/ and fails on a class that does work and is neither
listed here nor excused there, so a new service or repository is not forgotten.
"""

from business.accounts.api_keys import ApiKeyService
from business.accounts.service import AccountService
from business.catalog.importing import ProductImportService
from business.catalog.service import CatalogService
from business.health import HealthService
from business.idempotency.service import IdempotencyService
from business.orders.relay import EventRelayService, OutboxService
from business.orders.reports import SalesReportService
from business.orders.service import OrderService
from business.payments.service import PaymentService
from business.payments.settlement import Settlement
from data.accounts.api_keys import ApiKeyRepository
from data.accounts.repository import PasswordPolicy, UserRepository
from data.catalog.importer import ProductImporter
from data.catalog.repository import ProductRepository
from data.health import DatabaseProbe
from data.idempotency.repository import IdempotencyRepository
from data.orders.broker import RabbitPublisher
from data.orders.events import EventRepository
from data.orders.outbox import OutboxRepository
from data.orders.repository import OrderRepository
from data.orders.sales import SalesRepository
from data.payments.gateway import SandboxGateway
from data.payments.refunds import RefundRepository
from data.payments.repository import PaymentRepository
from data.payments.stripe_gateway import StripeGateway

TRACED: tuple[type, ...] = (
    # business: one span per use case.
    AccountService,
    ApiKeyService,
    CatalogService,
    EventRelayService,
    HealthService,
    IdempotencyService,
    OrderService,
    OutboxService,
    PaymentService,
    ProductImportService,
    Settlement,
    SalesReportService,
    # data: the repositories, one span per query or write.
    ApiKeyRepository,
    EventRepository,
    IdempotencyRepository,
    OrderRepository,
    OutboxRepository,
    PaymentRepository,
    ProductRepository,
    RefundRepository,
    SalesRepository,
    UserRepository,
    # data: the other adapters behind business's ports.
    DatabaseProbe,
    PasswordPolicy,
    ProductImporter,
    RabbitPublisher,
    SandboxGateway,
    # the payment provider: one span per call over the network.
    StripeGateway,
)
