"""Settings shared by every environment. Secrets come from the environment."""

from pathlib import Path

import dj_database_url

from .env import env, env_bool  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    # The plan's own apps
    "common",
    "places",
    "network",
    "accounts",
    "access",
    "audit",
    "schools",
    "registry",
    "ledger",
    "care",
    "servicelist",
    "exchange",
    "stats",
    "web",
    "demo",
    "backup",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "common.middleware.OutOfRangeNumberMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE makes a write
    # transaction take the lock up front instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The nightly aggregates are few, large statements whose plans change little; PostgreSQL's
    # JIT spent ~1.8 s compiling the compliance query alone at 200,000 children, more than it
    # saved (stats/README.md). Page queries are index look-ups that JIT never helps.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Argon2id at OWASP's configuration first (accounts/hashers.py); the others still verify
# older hashes, which are rewritten with the first at the next login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "var" / "media")
MEDIA_URL = "/media-not-served/"  # documents are served through an access-checked view only

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: expire after 30 minutes without activity, and with the browser.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
# The database store, moving an unchanged session's expiry on at most once a minute (common/sessions.py).
SESSION_ENGINE = "common.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy: only our own scripts and styles; no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)

# Login lockout: this many failures within the window lock the account for the window.
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_MINUTES = 15
# Roles that must confirm a TOTP code at login (等保三级: two-factor for administrators).
SECOND_FACTOR_ROLES = ["city_admin", "auditor"]
# The demo city may switch the requirement off for its own personas only.
SECOND_FACTOR_EXEMPT_USERNAMES: list[str] = []

# Field encryption (ID and phone numbers). A base64 url-safe 32-byte key.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")
SECRET_KEY = env("SECRET_KEY")

# Uploads: refuse anything larger than this before reading it whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = 50 * 1024 * 1024
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

# Tianmen's county code: the home county of the deployment.
HOME_COUNTY_CODE = env("HOME_COUNTY_CODE") or "429006"
# Every code the home county has had: a hukou here (old codes included) is local.
HOME_COUNTY_CODES = (env("HOME_COUNTY_CODES") or "429006,422404,422428").split(",")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Anonymous public endpoints: a flood guard per client address (6,000 a minute), loose
    # enough for a family app or a test harness checking hundreds of profiles in a row.
    # The help-request form has its own, much stricter, database-backed limit.
    "DEFAULT_THROTTLE_RATES": {"public": env("THROTTLE_PUBLIC_RATE") or "6000/minute", "login": "10/minute"},
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "流动儿童关爱保护信息系统 API",
    "DESCRIPTION": "Registry, key attention, services and data exchange for migrant children care and protection.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "liudong"},
}
# The public forms are rate-limited through the database so that several
# worker processes share one count.
PUBLIC_RATE_LIMIT = {"help_request": (5, 3600), "self_check": (60, 60)}
# Reminder senders of the daily work-list notice (care/notify.py); e-mail/SMS backends plug in here.
CARE_NOTIFICATION_BACKENDS = ["care.notify.InAppBackend"]

# Called by the registry's write services after a child's facts change (registry/hooks.py).
CHILD_CHANGED_HOOKS = [
    "care.hooks.child_changed",
    "servicelist.hooks.child_changed",
]

# The daily run (`manage.py run_daily`, started by cron or a systemd timer: deploy/), in order.
DAILY_STEPS = [
    ("recompute_status", "流动儿童认定状态"),
    ("care_daily", "风险标记、走访与提醒"),
    ("recompute_entitlements", "服务清单应享服务"),
    ("stats_refresh", "统计数据"),
]

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
