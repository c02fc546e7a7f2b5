"""Stockroom settings: one module, configured from the environment."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STOCKROOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list from the environment."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # unfold and its contrib apps must come before django.contrib.admin so
    # their templates win (see shared/STACK_NOTES.md).
    # BasicAppConfig: unfold's default config would replace admin.site with a plain UnfoldAdminSite,
    # hiding StockroomAdminSite (backoffice.apps.StockroomAdminConfig.default_site) and its URLs.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.guardian",
    "unfold.contrib.simple_history",
    "backoffice.apps.StockroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "guardian",
    "django_tasks_db",
    "health_check",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "inventory",
    "backoffice.apps.BackofficeConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Request id and client address for every log line; logs each 403 (one line).
    "backoffice.security.RequestContextMiddleware",
    "backoffice.security.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backoffice.middleware.RefuseNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "backoffice.security.SessionLimitsMiddleware",
    "backoffice.security.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns its lockout signal into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Serves collected static files in production; `runserver` does it while DEBUG is on.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates that replace a package's own of the same name (unfold's app comes first, so an app's
        # templates folder cannot): searched before every app's.
        "DIRS": [BASE_DIR / "backoffice" / "overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'stockroom.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request reuses it, so the first request after a
        # database restart reconnects instead of failing on a dead socket.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/ yet; SQLite cannot create the file without its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process and the task worker use the file at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Reports and exports read from a replica when DATABASE_REPLICA_URL names one (inventory/replica.py); in
# tests the alias mirrors the primary, so a test reads through it what it wrote.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["inventory.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # no guardian anonymous user row
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The currency money is shown in on screens (ISO code: USD, EUR, GBP…); files carry bare numbers.
CURRENCY = os.environ.get("CURRENCY", "USD").strip().upper()
USE_I18N = True
# Our own date and time formats (config/formats): every time on a screen says its time zone.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
# Uploads, import previews and export files. Several app servers and workers must share it: a shared
# folder (MEDIA_ROOT on NFS/EFS), or S3 with django-storages (README, "Deploying").
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "stockroom",
        }
    }
    # Sessions are read from Redis and written through to the database, so any app server answers any
    # request, and restarting Redis signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: the database queue (django-tasks-db) by default, or RQ on Redis (django-tasks-rq);
# `manage.py stockroom_worker` runs whichever is chosen, with the job sweep and the valuation close.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
RQ_BACKEND = "django_tasks_rq.RQBackend"
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
if TASKS_BACKEND == RQ_BACKEND:
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend needs REDIS_URL.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS["default"]["QUEUES"] = ["default"]
    # Jobs are leased by Stockroom itself (a dead worker's job is swept); RQ's own timeout would kill a
    # long import midway, so it is off.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1}}

LOGIN_URL = reverse_lazy("admin:login")
LOGIN_REDIRECT_URL = reverse_lazy("admin:index")

# Uploads and imports
STOCKROOM_IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Every upload is bounded before and while it is parsed: an XLSX by the inflated size its zip members
# declare, and every format by rows, columns and characters per cell.
STOCKROOM_IMPORT_MAX_INFLATED_BYTES = int(os.environ.get("IMPORT_MAX_INFLATED_BYTES", str(200 * 1024 * 1024)))
STOCKROOM_IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "500000"))
STOCKROOM_IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "50"))
STOCKROOM_IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "10000"))
STOCKROOM_BACKGROUND_ROWS = int(os.environ.get("BACKGROUND_ROWS", "50000"))
# A confirmed import runs in the request only when its expected cost (rows × the path's measured
# seconds per row, see Resource.seconds_per_row) fits this budget, well inside gunicorn's 30 s timeout.
STOCKROOM_REQUEST_BUDGET_SECONDS = float(os.environ.get("REQUEST_BUDGET_SECONDS", "5"))
# Uploaded previews not confirmed within this many seconds are deleted by `manage.py prune_previews`.
STOCKROOM_PREVIEW_TTL_SECONDS = int(os.environ.get("PREVIEW_TTL_SECONDS", str(24 * 3600)))
# Background jobs are leased: a running job's worker beats every lease/4 seconds; a job silent for a whole
# lease is swept (queued again while attempts remain, else failed with a reason) by the next worker.
STOCKROOM_JOB_LEASE_SECONDS = float(os.environ.get("JOB_LEASE_SECONDS", "60"))
STOCKROOM_JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))
STOCKROOM_JOB_SWEEP_SECONDS = float(os.environ.get("JOB_SWEEP_SECONDS", "15"))
# A task worker beats every JOB_SWEEP_SECONDS; /health/worker/ fails when none beat within this many seconds.
STOCKROOM_WORKER_STALE_SECONDS = float(os.environ.get("WORKER_STALE_SECONDS", "120"))
# How often the worker looks for ended days to close the valuation of (a day closes 5 minutes after midnight).
STOCKROOM_VALUATION_CLOSE_SECONDS = float(os.environ.get("VALUATION_CLOSE_SECONDS", "300"))
# Submission keys (exactly-once records) are kept this many days, then pruned by the same command.
STOCKROOM_SUBMISSION_TTL_DAYS = int(os.environ.get("SUBMISSION_TTL_DAYS", "30"))
# How far a delivery may exceed what a purchase order line still expects, in percent of the quantity
# ordered (0: never more than ordered). Suppliers who ship by the case set it higher.
PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT = Decimal(os.environ.get("PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT", "0"))
# Above this total value of differences (at average cost), a stock count needs an approver who counted none of it.
STOCK_COUNT_FOUR_EYES_VALUE = Decimal(os.environ.get("STOCK_COUNT_FOUR_EYES_VALUE", "1000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = STOCKROOM_IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# django-import-export is used as a library (resources, fields, widgets; inventory.imports), not as an
# admin app: its views are not mounted. Our resources name their permissions with its codes.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe app servers over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Sign-in and sessions (see backoffice/security.py)
# How many proxies in front of the app may be believed about the client address (X-Forwarded-For).
# 0: the header is ignored and REMOTE_ADDR is the client. Behind a load balancer set it, or every
# client shares the balancer's address (and its lockout).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
# A username is locked whatever the address it is tried from; an address trying many usernames is locked too.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backoffice.security.client_address"
AXES_LOCKOUT_CALLABLE = "backoffice.security.locked_out"
# Our own unfold screen for lockouts (backoffice/admin/security.py) replaces axes' plain admin.
AXES_ENABLE_ADMIN = False
# Successful sign-ins are in the security log; axes keeps only the failure counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Two-factor sign-in is required of superusers and Administrators; everyone else may turn it on.
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Stockroom"
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# Content-Security-Policy (Django's own middleware; {{ csp_nonce }} in our templates). Unfold needs two
# relaxations: 'unsafe-eval' because its bundled Alpine.js evaluates x-data/x-on attribute expressions with
# new Function() (unfold #1344, #2129), and 'unsafe-inline' styles because its templates and Alpine's
# x-show/x-bind:style write style attributes. Scripts run only from our origin or with the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # One JSON object per line: event, outcome, user, client address, path, request id.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"skip_forbidden": {"()": "backoffice.logs.SkipForbidden"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "stockroom.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        # Naming "django" drops the console handler Django's default config gives it; its records reach the
        # root handler once instead of twice while DEBUG is on.
        "django": {"level": "INFO"},
        "django.request": {"filters": ["skip_forbidden"]},
        "axes": {"level": "WARNING"},
        # WeasyPrint and fontTools log every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

UNFOLD = {
    "SITE_TITLE": "Stockroom",
    "SITE_HEADER": "Stockroom",
    "SITE_SUBHEADER": "Inventory back office",
    "SITE_SYMBOL": "inventory_2",
    "STYLES": [lambda request: static("backoffice/stockroom.css")],
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("backoffice/favicon.svg")},
    ],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "backoffice.dashboard.dashboard_callback",
    "ACCOUNT": {"navigation": [{"title": "Two-factor sign-in", "link": reverse_lazy("admin:two_factor_enrol")}]},
    # Ctrl-K finds records too (products by SKU, barcode or name; warehouses in scope; suppliers; categories).
    "COMMAND": {"search_callback": "backoffice.record_search.search_records"},
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "backoffice.navigation.sidebar_navigation",
    },
}
