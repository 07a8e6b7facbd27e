"""Settings for Newsroom, read from the environment (12-factor).

Defaults are safe for a laptop: SQLite, local-memory cache, DEBUG off unless asked
for. ``DJANGO_ENV=production`` switches on the production checks (secret key required,
secure cookies, HSTS, WhiteNoise manifest storage). See README "Production".
"""

from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=False) and not PRODUCTION
#: Demo mode (``make run``): allows ``load_demo`` to create a login with a known password.
DEMO_MODE = env.bool("NEWSROOM_DEMO", default=False) and not PRODUCTION

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="insecure-local-development-key-not-for-production"
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "stories",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

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
                "stories.context_processors.publication",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

# Database: DATABASE_URL selects the server; unset means the embedded SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_health_checks=True,
    )
}

# Cache: REDIS_URL selects Django's built-in Redis backend; unset means local memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="newsroom"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("NEWSROOM_LANGUAGE", default="en-us")
#: The newsroom's time zone: reader pages show times in it, with its abbreviation.
TIME_ZONE = env.str("NEWSROOM_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Audit trail: reasons are free text (must be set before the first migration).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# The publication, as named in templates, feeds, sitemaps and structured data.
PUBLICATION_NAME = env.str("NEWSROOM_PUBLICATION_NAME", default="The Newsroom Chronicle")
PUBLICATION_URL = env.str("NEWSROOM_PUBLICATION_URL", default="http://127.0.0.1:8000")
PUBLICATION_LOGO = env.str("NEWSROOM_PUBLICATION_LOGO", default="stories/logo.svg")
PUBLICATION_LANGUAGE = env.str("NEWSROOM_PUBLICATION_LANGUAGE", default="en")

# Reader pages (stories/caching.py): Cache-Control max-age for browsers and the CDN, and
# how long a rendered page stays in the server cache (a publish makes it stale at once).
READER_MAX_AGE = env.int("NEWSROOM_READER_MAX_AGE", default=60)
READER_CACHE_TIMEOUT = env.int("NEWSROOM_READER_CACHE_TIMEOUT", default=60 * 60)

#: Username recorded on history rows written by commands that are given no user.
NEWSROOM_SYSTEM_USERNAME = "newsroom-system"

LOGIN_URL = "admin:login"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
