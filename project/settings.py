"""Settings for Orderly, read from the environment (twelve-factor, django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from data.accounts.scopes import Scope
from data.orders.statuses import OrderStatus
from data.payments.statuses import PaymentStatus, RefundStatus

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for developers; the real environment always wins.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # A guessable key signs sessions and JWTs: refuse to serve rather than risk it.
        raise SystemExit(
            "orderly: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false"
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# TLS: off by default because TLS usually ends at a proxy in front of gunicorn;
# `.env.production.example` turns it all on (`manage.py check --deploy` is clean).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=False)
# Trust the proxy's X-Forwarded-Proto only when a proxy that sets it is in front.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False)
    else None
)
# Browsers on these origins may call the API (django-cors-headers); none by default.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Conditional requests (If-Match, If-None-Match) and what a client reads of answers
# (ETag, the rate-limit headers) must pass the browser too.
CORS_ALLOW_HEADERS = (*default_headers, "if-match", "if-none-match")
CORS_EXPOSE_HEADERS = ["ETag", "RateLimit", "RateLimit-Policy", "Retry-After"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "data.accounts",
    "data.catalog",
    "data.orders",
    "data.payments",
    "data.idempotency",
    "data.cache",
    "presentation",
    # Metrics and tracing wired around the layers at start-up (project/apps.py).
    "project.apps.ProjectConfig",
]

MIDDLEWARE = [
    "presentation.middleware.RequestIdMiddleware",
    # Inside the id's middleware: log lines and metrics see every answer, even early
    # ones (413); the timer sees the session and authentication queries too.
    "presentation.logs.RequestLogMiddleware",
    "presentation.metrics.MetricsMiddleware",
    "project.metrics.QueryTimingMiddleware",
    # Before anything that may answer early (413s too need CORS headers to be read).
    "corsheaders.middleware.CorsMiddleware",
    "presentation.middleware.BodySizeLimitMiddleware",
    # Throttles record their quotas on the request; this sends them on every answer.
    "presentation.throttling.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# No DATABASE_URL: a SQLite file, the zero-setup default of `make run`.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, and statements prepared after their fifth
    # run: PostgreSQL then skips parsing and planning the hot queries (+12 % on
    # order creation, bench/). Off behind a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21).
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every worker and host (throttle counters): Redis when REDIS_URL is set,
# else a table in the database (created by data/cache's migration), never memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "orderly_cache",
    }
}

# Argon2 for new passwords; the PBKDF2 hashers stay so that older hashes still
# verify (and are upgraded to Argon2 at the next login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (development), whitenoise serves from the app folders.
WHITENOISE_USE_FINDERS = DEBUG

# Bodies over 1 MiB are refused with 413 before a view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Query string and form fields parsed per request (Django's default, made explicit).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

CURRENCY = env.str("CURRENCY", default="EUR")

# The payment provider: `sandbox` (in-process, the embedded default) or `stripe`
# (Stripe's API through the official SDK; `STRIPE_API_BASE` points it at the
# sandbox provider program in tests and compose).
PAYMENTS_PROVIDER = env.str("PAYMENTS_PROVIDER", default="sandbox")
if PAYMENTS_PROVIDER not in ("sandbox", "stripe"):
    raise ImproperlyConfigured("PAYMENTS_PROVIDER must be sandbox or stripe")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
if PAYMENTS_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
    )
# Seconds to connect and to wait for an answer; a charge still unanswered then
# stays pending (202) for the webhook or reconciliation to settle.
STRIPE_TIMEOUTS = (
    env.float("STRIPE_CONNECT_TIMEOUT", default=2.0),
    env.float("STRIPE_READ_TIMEOUT", default=10.0),
)
# The SDK retries a call that got no answer, with the same idempotency key.
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# A payment or refund pending longer than this shows on the pending gauge.
PAYMENT_PENDING_ALERT_SECONDS = env.int("PAYMENT_PENDING_ALERT_SECONDS", default=300)

# The broker `publish_events` relays order events to (RabbitMQ, AMQP 0-9-1).
AMQP_URL = env.str("AMQP_URL", default="amqp://guest:guest@127.0.0.1:5672/%2F")
# Configurable so that test runs sharing one broker use exchanges of their own.
EVENTS_EXCHANGE = env.str("EVENTS_EXCHANGE", default="orderly.events")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API keys first: the JWT class would refuse a key as a malformed token.
        "presentation.authentication.ApiKeyAuthentication",
        "presentation.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["presentation.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["presentation.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "presentation.schema.AutoSchema",
    "EXCEPTION_HANDLER": "presentation.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Counted in CACHES["default"], so the limits hold across workers and hosts.
    "DEFAULT_THROTTLE_CLASSES": [
        "presentation.throttling.AnonThrottle",
        "presentation.throttling.UserThrottle",
        "presentation.throttling.ScopedThrottle",
        "presentation.throttling.ApiKeyThrottle",
    ],
    # Clients are told apart by address: behind N proxies, the Nth address from the
    # right of X-Forwarded-For (unset: the socket's peer address).
    "NUM_PROXIES": env.int("THROTTLE_NUM_PROXIES", default=None),
    # An empty value turns a throttle off.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min") or None,
        "user": env.str("THROTTLE_USER", default="600/min") or None,
        "auth": env.str("THROTTLE_AUTH", default="10/min") or None,
        # Per API key, in place of the creator's `user` quota.
        "api_key": env.str("THROTTLE_API_KEY", default="600/min") or None,
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", 7)),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Orderly API",
    "DESCRIPTION": "Orders and payments: a catalog with stock, customers who place "
    "and pay for orders, staff who ship them, an audit trail of every change.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "presentation.schema.document_throttling",
    ],
    # Enum components named for what they are (generated clients use these names).
    "ENUM_NAME_OVERRIDES": {
        "OrderStatus": [status.value for status in OrderStatus],
        "PaymentStatus": [status.value for status in PaymentStatus],
        "RefundStatus": [status.value for status in RefundStatus],
        "OrderEventSource": ["api", "admin", "command"],
        "ApiKeyScope": [scope.value for scope in Scope],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line; a record's `extra` fields become its keys, and every
    # record made while a request is served carries its `request_id`.
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
            },
        }
    },
    "filters": {"request_id": {"()": "presentation.logs.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # pika logs every socket step at INFO; the relay reports failures itself.
    "loggers": {"pika": {"level": "CRITICAL"}},
}
