"""Afterglow settings: everything comes from the environment (or `.env`), with embedded defaults.

Without DATABASE_URL / REDIS_URL / ESP settings the project runs on SQLite, a filesystem Celery
broker and a local email outbox, so `make run` needs nothing but Python.
"""

import ipaddress
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Commands that sign nothing (makemigrations, collectstatic, compilemessages) run without a key. Whatever
# signs links and sessions refuses to start without one: web, workers and beat (apps/core/checks.py).
SECRET_KEY_SET = bool(env("SECRET_KEY", default=""))
SECRET_KEY = env("SECRET_KEY", default="") or (
    "dev-only-insecure-key-never-use-in-production" if DEBUG else f"unset-{secrets.token_urlsafe(40)}"
)
# Secrets in the database (shop tokens, webhook secrets) are encrypted with keys derived from SECRET_KEY and
# each of FIELD_ENCRYPTION_KEYS (django-fernet-encrypted-fields). The first key encrypts; every key decrypts.
# Rotating: put a new key first, keep the old ones, run `manage.py reencrypt_secrets`, then drop the old ones.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
SALT_KEY = FIELD_ENCRYPTION_KEYS or ["afterglow-field-encryption-unset"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address buyers reach, used for links in emails (tracking page, unsubscribe, images). Left
# empty, it is this machine on the port `make run` serves (PORT), so `PORT=9000 make run` links work.
SITE_URL = (env("SITE_URL", default="") or f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_celery_beat",
    "anymail",
    "axes",
    "apps.core",
    "apps.stores",
    "apps.customers",
    "apps.orders",
    "apps.shipments",
    "apps.integrations",
    "apps.feedback",
    "apps.reviews",
    "apps.campaigns",
    "apps.tracking",
    "apps.rollups",
    "apps.dashboard",
    "apps.demo",  # seed_demo; its extra (factory-boy) is imported only when the seed runs
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Which database this request reads (primary, or the replica when one is set): config/db_router.py.
    "config.db_router.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The dashboard's language: the person's choice, the browser's, then the store's (apps/dashboard/language.py).
    "apps.dashboard.language.MerchantLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns lockouts raised by the auth backend into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.stores.context_processors.current_store",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions, so web, worker and beat can share it.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'afterglow.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    # Covering indexes (INCLUDE columns) serve PostgreSQL at scale; SQLite builds them without the extras.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if env.bool("POSTGRES_JIT_OFF", default=True):
        # PostgreSQL JIT-compiles queries whose estimated cost is high; our scan and dashboard queries
        # estimate high but are short, and the compile time was a visible share of them in make bench.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    if env("DATABASE_POOLER", default="") == "pgbouncer":
        # Through PgBouncer in transaction mode a session is not ours between transactions: no server-side
        # prepared statements (psycopg prepares a query after 5 runs) and no server-side cursors (.iterator()).
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        # Nor start-up options: PgBouncer drops them (ignore_startup_parameters), so set jit = off on the server.
        DATABASES["default"]["OPTIONS"].pop("options", None)
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# Optional read replica (docs/operations.md): dashboard reports and buyer pages read from it, everything that
# must see its own writes stays on the primary (config/db_router.py). Unset: one database, nothing changes.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    if not USING_POSTGRES:
        raise ValueError("DATABASE_REPLICA_URL needs DATABASE_URL to be PostgreSQL too.")
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"].setdefault(_key, DATABASES["default"][_key])
    DATABASES["replica"].setdefault("OPTIONS", {}).update(DATABASES["default"].get("OPTIONS", {}))
    # Tests use the primary's test database under the replica's name: no second test database to create.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# URL names (or "namespace:*") whose GET requests may read from the replica; any other request reads the primary.
# Not the tracking page: its cache stores what a miss reads under the newest version, so a miss must read the
# rows that version stands for (the primary); a warm page reads no database at all.
REPLICA_READ_VIEWS = env.list("REPLICA_READ_VIEWS", default=["dashboard:home", "dashboard:tracking_report"])
# After a request that wrote, the same browser reads the primary for this long (replication lag is usually
# well under a second; a merchant who just saved something must see it on the next page).
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when there is one, else a file cache every local process shares -------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "apps.core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.stores.auth.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Anyone may create an account at /accounts/signup/ (and then a store). On by default only with DEBUG.
ALLOW_SIGNUP = env.bool("ALLOW_SIGNUP", default=DEBUG)
# Brute-force limit: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures count under the name the backend looks up (stripped, lower-cased), not the name as typed.
AXES_USERNAME_CALLABLE = "apps.stores.auth.axes_username"
# The lockout and the order-lookup throttle share one definition of the client's address.
AXES_CLIENT_IP_CALLABLE = "apps.core.client_ip.client_ip"

# --- Client address behind reverse proxies (apps/core/client_ip.py) -------------------------
# How many reverse proxies we run in front of Django, each appending to X-Forwarded-For. 0: the header is
# ignored and the socket's address is the client's (a client cannot spoof it). N: the N-th address from
# the right of X-Forwarded-For, the one our outermost proxy saw, is the client's.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if PROXY_COUNT < 0:
    raise ValueError("PROXY_COUNT must be 0 or more (the number of reverse proxies in front of Django).")
# Optional: the networks our proxies connect from (e.g. 127.0.0.1/32,10.0.0.0/8). When set, X-Forwarded-For
# is read only on requests from them, so a client reaching the app port directly cannot choose its address.
TRUSTED_PROXIES = [str(ipaddress.ip_network(net, strict=False)) for net in env.list("TRUSTED_PROXIES", default=[])]

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("it", "Italiano"), ("ko", "한국어"), ("kk", "Қазақша")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email: captured in var/mail unless an ESP is configured through Anymail ----------------
ANYMAIL_ESP = env("ANYMAIL_ESP", default="")  # e.g. postmark, sendgrid, mailgun, brevo, amazon_ses
if ANYMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"] (POSTMARK_SERVER_TOKEN, WEBHOOK_SECRET...).
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}
ANYMAIL.pop("ESP", None)
# Marketing mail is claimed, rendered and handed to the ESP this many at a time (Postmark's /email/batch takes
# up to 500); ESPs without a batch call get that many sends over this many connections at once.
CAMPAIGNS_SEND_BATCH_SIZE = env.int("CAMPAIGNS_SEND_BATCH_SIZE", default=500)
CAMPAIGNS_SEND_CONCURRENCY = env.int("CAMPAIGNS_SEND_CONCURRENCY", default=8)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Afterglow <noreply@afterglow.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The SPF include of the ESP that sends our mail (e.g. "spf.mtasv.net" for Postmark, "amazonses.com" for SES),
# shown on the sender domain page and checked there. Empty: the page asks for "your ESP's include".
SENDER_SPF_INCLUDE = env("SENDER_SPF_INCLUDE", default="").strip()
# Critics desk: replies to a case go to case+<id>.<signature>@CASE_REPLY_DOMAIN; route that domain's mail to
# your ESP's inbound webhook (/anymail/<esp>/inbound/) so buyers' answers land on the case's timeline.
CASE_REPLY_DOMAIN = env("CASE_REPLY_DOMAIN", default="reply.afterglow.localhost").strip().lower()

# --- Celery ---------------------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport: real Celery, no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest task time limit or ETA we use (checked at start-up by later work).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Calls to shops and tracking services wait on other people's servers: their own queue, so a slow shop never
# holds back an order confirmation.
CELERY_TASK_ROUTES = {"apps.integrations.tasks.*": {"queue": "integrations"}}
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# `make bench` serves a bare view (/bench/bare/) beside the real pages; never on in production.
BENCH_BARE_VIEW = env.bool("BENCH_BARE_VIEW", default=False)

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=True) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Outbound fetches (product feeds, API calls: apps/core/outbound.py) only reach public addresses. List
# CIDRs here to allow an internal network anyway, e.g. an on-premises feed server: "10.20.0.0/16,192.168.5.7/32".
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])

# --- Shops and tracking services we call (apps/integrations/sources/*) ---------------------------
SHOPIFY_API_VERSION = env("SHOPIFY_API_VERSION", default="2026-01")
# The OAuth install flow is offered when the operator registers an app with Shopify and sets both.
SHOPIFY_API_KEY = env("SHOPIFY_API_KEY", default="")
SHOPIFY_API_SECRET = env("SHOPIFY_API_SECRET", default="")
SHOPIFY_SCOPES = env(
    "SHOPIFY_SCOPES",
    default="read_orders,read_all_orders,read_customers,read_products,read_fulfillments,read_checkouts,write_discounts",
)
# Empty: https://<shop>.myshopify.com. Set only to point every shop at a local stand-in (tests, demos).
SHOPIFY_ADMIN_BASE_URL = env("SHOPIFY_ADMIN_BASE_URL", default="")
AFTERSHIP_API_URL = env("AFTERSHIP_API_URL", default="https://api.aftership.com/tracking/2026-07")
SEVENTEENTRACK_API_URL = env("SEVENTEENTRACK_API_URL", default="https://api.17track.net/track/v2.2")
EASYPOST_API_URL = env("EASYPOST_API_URL", default="https://api.easypost.com/v2")
# A first connection imports this many days of the shop's history (orders, customers, products).
HISTORY_IMPORT_DAYS = env.int("HISTORY_IMPORT_DAYS", default=365)
# Content Security Policy (Django's built-in support): no inline script anywhere.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],  # the nonce lets a store's brand colours be set per page
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Webhook and API bodies larger than this are refused with 413.
MAX_INBOUND_BODY_BYTES = env.int("MAX_INBOUND_BODY_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_INBOUND_BODY_BYTES

# Data protection: how long raw webhook payloads and rendered email bodies are kept (a daily purge).
RETENTION_INBOUND_DAYS = env.int("RETENTION_INBOUND_DAYS", default=30)
RETENTION_MESSAGE_BODY_DAYS = env.int("RETENTION_MESSAGE_BODY_DAYS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
