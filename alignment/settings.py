"""Settings for Alignment Reviews, read from the environment.

The defaults are embedded so that `make run` works on a bare machine: SQLite and Celery's
filesystem broker under var/. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from alignment.release import code_digest


class Env(environ.Env):
    """Every variable is read through django-environ, with booleans kept strict.

    A boolean is `true` or `false` (empty means the default): anything else stops the site
    instead of quietly meaning false, as django-environ's own `bool` would for a typo.
    """

    def __init__(self) -> None:
        super().__init__()
        # A value starting with `$` is read from the variable it names; `\$` is a literal `$`.
        self.escape_proxy = True

    def bool(self, var: str, default: bool = False) -> bool:
        raw = self.str(var, default="")
        if raw == "":
            return default
        if raw not in ("true", "false"):
            raise ImproperlyConfigured(f"{var} must be 'true' or 'false', not {raw!r}")
        return raw == "true"


env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(or set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG-true"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The first values of the company settings, which executives then edit in the browser.
COMPANY_NAME = env.str("COMPANY_NAME", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "import_export",
    "rules.apps.AutodiscoverRulesConfig",
    "csp",
    "axes",
    "strategy",
    "reviews",
    "notifications",
    "sustain",
    "reports",
    # The REST API (api/): Django REST Framework, django-filter, drf-spectacular's schema.
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After authentication (it reads the person's choice from the session), before anything
    # that renders: the language and the company's time zone of the request.
    "alignment.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx, which the session timeout below reads too.
    "django_htmx.middleware.HtmxMiddleware",
    "alignment.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that the lockout page it renders still passes through the CSP middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alignment.urls"
WSGI_APPLICATION = "alignment.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alignment.context_processors.user_roles",
            ],
            # {% url %} with a view that takes no argument reversed once per process.
            "builtins": ["alignment.urltags"],
            # base.html's header and footer, written once per what they show.
            "libraries": {"page_chrome": "alignment.chrome"},
        },
    },
]

# --- Database --------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL and a busy timeout keep them from tripping
    # over each other, IMMEDIATE transactions avoid "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication --------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Refuses, without a query, a permission only the rules define and they refused.
    "alignment.backends.RulesOnlyBackend",
    # Django's ModelBackend, its session's user read by a prepared query.
    "alignment.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation --------------------------------------------------
# The source language; the others are translated in the catalogues of locale/ (docs/architecture.md,
# "Languages"), each named in its own language. alignment.middleware.LanguageMiddleware chooses
# one per request: the person's choice, else the browser's, else the company's default.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in the templates are named formats (`|date:"DATE_FORMAT"`): Django's per language, with
# the project's English ones in alignment/formats/.
FORMAT_MODULE_PATH = ["alignment.formats"]
# Where an anonymous visitor's choice of language in the footer is kept.
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# The fiscal year is named after the calendar year in which it starts.
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured("FISCAL_YEAR_START_MONTH must be between 1 and 12")
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="EUR")

# --- Static files ----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email -----------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="alignment@localhost")
EMAIL_TIMEOUT = 30

# --- Security --------------------------------------------------------------
# Production (DEBUG off) is HTTPS-only; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER_NAME=HTTP_X_FORWARDED_PROTO.
if env.str("SECURE_PROXY_SSL_HEADER_NAME", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER_NAME"), "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Browsers only accept __Host- cookies that are Secure, for Path=/ and without a Domain, so no
# subdomain or plain-HTTP page can plant or overwrite them. Development runs on plain HTTP.
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
# Django's database sessions, each request's read prepared once per process.
SESSION_ENGINE = "alignment.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # "Strict" would log out whoever follows a link in an email
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# alignment.middleware.SessionTimeoutMiddleware logs out a session unused for
# SESSION_IDLE_SECONDS, and any session SESSION_MAX_SECONDS after its login.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_MAX_SECONDS = env.int("SESSION_MAX_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: everything comes from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws form controls with data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Login attempts (django-axes) -------------------------------------------
# Five failures for one username from one address lock that pair out; the sixth attempt is
# refused even with the right password. The same username from another address is not locked,
# so nobody can lock a colleague out by guessing wrong on purpose.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Counted from the last failure: an attempt while locked out starts the wait again.
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Every failure gets its own row (AccessFailureLog), every login one too (AccessLog).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Log who tried from where; passwords are always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
# The client's address. Without a proxy it is the peer (REMOTE_ADDR), which a client can't
# forge. Behind proxies, CLIENT_IP_HEADER names the header they set (as Django names it, e.g.
# HTTP_X_FORWARDED_FOR) and TRUSTED_PROXY_COUNT says how many of them append to it: the client
# is that many entries from the right, so anything a client writes into the header is ignored.
# Left unset behind a proxy, every user shares the proxy's address and its lockouts.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if CLIENT_IP_HEADER else 0)
if CLIENT_IP_HEADER:
    if TRUSTED_PROXY_COUNT < 1:
        raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be at least 1 with CLIENT_IP_HEADER")
    AXES_IPWARE_META_PRECEDENCE_ORDER = (CLIENT_IP_HEADER,)
    # ipware counts the proxies listed in the header: the nearest proxy, the peer, lists none.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
elif TRUSTED_PROXY_COUNT:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT needs CLIENT_IP_HEADER")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
AXES_IPWARE_PROXY_ORDER = "left-most"
# Not strict: a header with more entries than proxies (the client added some) still yields the
# address the first trusted proxy saw, instead of no address at all.
IPWARE_STRICT = False

# --- Second factor and invitations --------------------------------------------
# The second factor of password sign-ins (twofactor/, django-otp's TOTP and static devices) and
# the invitations to choose a password (strategy/services.py). Sign-in through the identity
# provider (the single sign-on section: SSO_ISSUER, SSO_PROVIDER_NAME) asks no second
# factor of its own: the provider does.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "twofactor",
]
# After the authentication middleware: a session that must set up its factor sees only that.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.LoginRequiredMiddleware") + 1,
    "twofactor.middleware.EnrolmentRequiredMiddleware",
)
# When true, superusers, staff and the members of these groups must have a second factor: after
# their password they are sent to set one up, and see nothing else until they have.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=False)
SECOND_FACTOR_REQUIRED_GROUPS = env.list(
    "SECOND_FACTOR_REQUIRED_GROUPS", default=["Executive", "Admin"]
)
# How many recovery codes are made at set-up; each works once, in place of the app's code.
SECOND_FACTOR_RECOVERY_CODES = 10
# The name authenticator apps show beside the username.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Alignment Reviews")
# An invitation's set-password link works once, for this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
if INVITATION_DAYS < 1:
    raise ImproperlyConfigured("INVITATION_DAYS must be at least 1")

# --- Celery ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # Embedded default: one folder that producers and consumers share.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = "UTC"  # beat runs in UTC; local time zones are handled in the data
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection before and after every task unless this
# is set: a new PostgreSQL connection per email would halve a worker's sending rate. Kept for
# this many tasks (CONN_MAX_AGE and CONN_HEALTH_CHECKS still apply), then reopened.
CELERY_DB_REUSE_MAX = 1000
# A task still running when the broker connection drops is redelivered anyway (acks_late);
# cancel it rather than let it finish twice. Celery 6 makes this the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Each entry only triggers an idempotent task that decides from the database what is due.
CELERY_BEAT_SCHEDULE = {
    "open-due-cycles": {
        "task": "reviews.tasks.open_due_cycles",
        "schedule": crontab(minute="*/15"),  # https://crontab.guru/#*/15_*_*_*_*
    },
    "send-due-reminders": {
        "task": "reviews.tasks.send_due_reminders",
        "schedule": crontab(minute="5-59/15"),  # https://crontab.guru/#5-59/15_*_*_*_*
    },
    "escalate-overdue": {
        "task": "reviews.tasks.escalate_overdue",
        "schedule": crontab(minute="10-59/15"),  # https://crontab.guru/#10-59/15_*_*_*_*
    },
    "start-annual-refresh": {
        "task": "reviews.tasks.start_annual_refresh",
        "schedule": crontab(minute=20),  # https://crontab.guru/#20_*_*_*_*
    },
    "take-over-positions": {
        "task": "reviews.tasks.take_over_positions",
        "schedule": crontab(minute=25),  # https://crontab.guru/#25_*_*_*_*
    },
    "send-due-digests": {
        "task": "notifications.tasks.send_due_digests",
        "schedule": crontab(minute="1-59/15"),  # https://crontab.guru/#1-59/15_*_*_*_*
    },
    "refresh-signal-board": {
        "task": "reviews.tasks.refresh_board",
        "schedule": crontab(minute=30, hour=0),  # https://crontab.guru/#30_0_*_*_*
    },
}
if REDIS_URL:
    # Redis hands a task that a worker took but did not acknowledge to another worker after
    # this long. Keep it longer than any task runs (CELERY_TASK_TIME_LIMIT) and than the longest
    # delivery retry: send_delivery retries with a countdown, which the worker holds unacknowledged
    # until it is due, at most 12 × DELIVERY_RETRY_BASE_SECONDS (720 s by default). A copy handed
    # out twice does no harm: delivery_send skips a delivery that is locked or no longer pending.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }

# --- Cache ------------------------------------------------------------------
# What the API's throttling counts and the pages' cached parts: in Redis when there is one, so
# every web process shares them; in the process's memory otherwise. In Redis, the keys start
# with the release's digest (alignment/release.py), so that a deploy never serves a part that
# the previous release's templates rendered.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"cache:{code_digest(BASE_DIR)}",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API (api/, docs/api.md) ---------------------------------------------
REST_FRAMEWORK = {
    # A personal access token (Authorization: Bearer ...) or the browser's session, whose
    # writes need the CSRF token as the pages' do.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.SignedIn", "api.permissions.TokenScope"],
    # JSON only: the browsable documentation is the OpenAPI page (api:docs), not DRF's own
    # HTML, which the strict CSP would not run anyway.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per personal access token (and per user for their browser session), as DRF writes
# rates: "600/minute", "10000/hour".
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Alignment Reviews API",
    "DESCRIPTION": "The strategy, the organisation, the reviews and their results, as the pages "
    "show them to the same people. Tokens, problems, examples and versioning: the API's help "
    "page, /reviews/help/api/ (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["api.permissions.SignedIn", "api.permissions.TokenScope"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CheckStateEnum": "reviews.models.AlignmentCheck.State",
        "CycleStateEnum": "reviews.models.ReviewCycle.State",
        "CommitmentStatusEnum": "strategy.models.Commitment.Status",
        "DeliveryStateEnum": "notifications.models.Delivery.State",
        "ActionKindEnum": "reviews.models.Action.Kind",
        "CycleKindEnum": "reviews.models.ReviewCycle.Kind",
        "UnitKindEnum": "strategy.models.Unit.Kind",
        "DeliveryKindEnum": "notifications.models.Delivery.Kind",
    },
}

# --- Imports in the admin --------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True  # all-or-nothing
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- Logging ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every login, failed login, lockout and session timeout, whatever LOG_LEVEL says.
        "axes": {"level": "INFO"},
        "axes.apps": {"level": "WARNING"},  # not its banner on every command
        "alignment.middleware": {"level": "INFO"},
    },
}

# --- Deliveries ------------------------------------------------------------
# A failed send is retried after base × 2^(attempt − 1) seconds, plus jitter.
DELIVERY_RETRY_BASE_SECONDS = env.float("DELIVERY_RETRY_BASE_SECONDS", default=60)
# A pending delivery whose task has not run for this long is enqueued again by the dispatcher.
DELIVERY_STALL_SECONDS = env.int("DELIVERY_STALL_SECONDS", default=600)

# --- Notification preferences (notifications/preferences.py) ---------------
# The topics nobody may turn off, comma-separated (the names of preferences.Topic): by default
# the reminder that a check is overdue. People choose their channels for every other topic.
NOTIFICATIONS_REQUIRED = [
    t.strip() for t in env.list("NOTIFICATIONS_REQUIRED", default=["check_overdue"]) if t.strip()
]

# --- Webhooks (docs/api.md) ------------------------------------------------
# The hosts webhook endpoints may point at, comma-separated: an exact name ("hooks.example.com",
# "127.0.0.1") or, with a leading dot, a domain and its subdomains (".example.com"). Empty by
# default: no webhook goes anywhere until the operator names where. Checked when an admin saves
# an endpoint and again before every request.
WEBHOOK_ALLOWED_HOSTS = [
    h.strip().lower() for h in env.list("WEBHOOK_ALLOWED_HOSTS", default=[]) if h.strip()
]
# Plain http only to a loopback address (127.0.0.0/8, ::1, localhost), and only when this is on:
# by default in development (DJANGO_DEBUG=true) and in the tests; everything else needs https.
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=DEBUG)
# How long a webhook request may wait to connect, to send, and for each part of the answer.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)

# --- Single sign-on (OpenID Connect) ---------------------------------------
# strategy/sso.py (README, "Single sign-on"). On when SSO_ISSUER and SSO_CLIENT_ID are set: the
# endpoints come from SSO_ISSUER's /.well-known/openid-configuration. The redirect URL to
# register at the provider is SITE_URL + /accounts/sso/callback/.
SSO_ISSUER = env.str("SSO_ISSUER", default="").rstrip("/")
SSO_CLIENT_ID = env.str("SSO_CLIENT_ID", default="")
SSO_CLIENT_SECRET = env.str("SSO_CLIENT_SECRET", default="")
SSO_SCOPES = env.str("SSO_SCOPES", default="openid email profile")
SSO_PROVIDER_NAME = env.str("SSO_PROVIDER_NAME", default="single sign-on")
SSO_SIGN_ALGO = env.str("SSO_SIGN_ALGO", default="RS256")
SSO_TIMEOUT_SECONDS = env.int("SSO_TIMEOUT_SECONDS", default=10)
# The claim whose values map to roles, and the map: "value=target;target, value=target", a target
# being Executive, Admin, head:<unit code> or member:<unit code> (the Department head and
# Member groups follow the memberships). Applied at each sign-in to the roles and teams the map
# names; when the map is set, a sign-in whose claim maps to nothing is refused.
# The boolean claim saying the provider verified the email: without it true, no account is made
# or linked by email (Entra ID sends xms_edov, not email_verified).
SSO_EMAIL_VERIFIED_CLAIM = env.str("SSO_EMAIL_VERIFIED_CLAIM", default="email_verified")
SSO_GROUPS_CLAIM = env.str("SSO_GROUPS_CLAIM", default="groups")
SSO_ROLE_MAP = env.str("SSO_ROLE_MAP", default="")
# Password sign-in off for everyone but this superuser (the break-glass account).
SSO_ONLY = env.bool("SSO_ONLY", default=False)
SSO_BREAK_GLASS_USERNAME = env.str("SSO_BREAK_GLASS_USERNAME", default="")

# mozilla-django-oidc's own names.
OIDC_RP_SCOPES = SSO_SCOPES
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's sign-out
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
OIDC_TIMEOUT = SSO_TIMEOUT_SECONDS
OIDC_OP_LOGOUT_URL_METHOD = "strategy.sso.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "login"
AUTHENTICATION_BACKENDS.insert(1, "strategy.sso.PasswordGate")
AUTHENTICATION_BACKENDS.insert(-1, "strategy.sso.SSOBackend")
LOGGING["loggers"]["strategy.sso"] = {"level": "INFO"}
if SSO_ISSUER:
    # The sign-out form redirects to the provider's end-session page, and a form's redirects
    # must be allowed by form-action too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        *CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
        "{0.scheme}://{0.netloc}".format(urlsplit(SSO_ISSUER)),
    ]
