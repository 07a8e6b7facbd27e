"""Settings for Newsroom, read from the environment (12-factor).

Defaults are safe for a laptop: SQLite, local-memory cache, DEBUG off unless asked
for. ``DATABASE_URL`` selects PostgreSQL (pooled psycopg 3 connections with timeouts),
``REDIS_URL`` the shared cache and cached sessions, ``DATABASE_REPLICA_URL`` a read
replica. ``DJANGO_ENV=production`` switches on the production checks (secret key and
hosts required, secure cookies, HSTS, WhiteNoise manifest storage, JSON logs). Every
variable is listed in docs/settings.md; production is described in docs/operations.md.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from newsroom.log_format import JSON_FORMATTER
from newsroom.log_key import ORIGIN_VARIABLE as LOG_ORIGIN_VARIABLE
from newsroom.log_key import STATE_VARIABLE as LOG_STATE_VARIABLE
from newsroom.log_key import VARIABLE as LOG_KEY_VARIABLE
from newsroom.log_key import log_origin, secret_key, signer_state_path, signing_key_seed

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
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production: the comma-separated "
        "host names the site answers to, e.g. news.example.com,www.news.example.com."
    )
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, on the newsroom's own site: a second factor for those who can
    # change the record (newsroom/admin_site.py).
    "newsroom.admin_config.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",  # "See all 2,500 corrections": numbers as readers write them
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "health_check",
    # django-ninja: the read API's docs page from its own static files (no CDN).
    "ninja",
    "stories",
    "stories.reader",
    "stories.api",
]

MIDDLEWARE = [
    # Outermost: HEAD answers lose their body whatever produced them (the reader cache).
    "newsroom.middleware.HeadWithoutBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "newsroom.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that cannot be reached answers 503 with Retry-After, never a 500.
    "newsroom.outages.DatabaseUnavailableMiddleware",
    "newsroom.middleware.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether this session passed its second factor (django-otp: request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "stories.reader.middleware.SiteRootMiddleware",
    "newsroom.routers.PinToPrimaryMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
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
                "stories.reader.context_processors.publication",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

# Database: DATABASE_URL selects the server; unset means the embedded SQLite file.
#
# PostgreSQL connections come from psycopg 3's pool (Django's OPTIONS["pool"]) rather than
# from persistent connections (CONN_MAX_AGE), which Django refuses to combine with it:
# the pool bounds how many connections each worker process holds, replaces broken ones
# after a database restart or failover, and serves threaded workers as well as sync
# ones. Behind PgBouncer in transaction mode, set DATABASE_POOL=0 (one connection per
# request, the bouncer pools). No ATOMIC_REQUESTS: every write path (the publishing
# service, the admin, the importer, commands) opens its own transaction, and reader
# pages, which only read, run without one, so the router can send them to a replica.
DATABASE_POOL = env.bool("DATABASE_POOL", default=True)

# Each role of connection has its own limits, in milliseconds (0 turns one off), set in
# its connection options: the server cancels a statement that runs too long, waits too
# long for a lock, or a transaction left idle, and the client gives up on a server that
# does not answer at all (below). Reader pages (the "reader" connection, or a replica's)
# get short ones; the editors' connection ("default": the admin, publishing, imports,
# commands, the worker) longer ones, below gunicorn's 30 s timeout; the owner's
# (migrations, legal removals) no statement limit, since an index takes its time.
# docs/settings.md lists them.
_EDITORIAL_LOCK_TIMEOUT = env.int("DATABASE_LOCK_TIMEOUT", default=10_000)
_EDITORIAL_IDLE_TIMEOUT = env.int("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default=60_000)
CONNECTION_LIMITS = {
    "editorial": {
        "statement_timeout": env.int("DATABASE_STATEMENT_TIMEOUT", default=20_000),
        "lock_timeout": _EDITORIAL_LOCK_TIMEOUT,
        "idle_in_transaction_session_timeout": _EDITORIAL_IDLE_TIMEOUT,
    },
    "reader": {
        "statement_timeout": env.int("DATABASE_READER_STATEMENT_TIMEOUT", default=1_500),
        "lock_timeout": env.int("DATABASE_READER_LOCK_TIMEOUT", default=500),
        "idle_in_transaction_session_timeout": env.int(
            "DATABASE_READER_IDLE_IN_TRANSACTION_TIMEOUT", default=5_000
        ),
    },
    "owner": {
        "statement_timeout": 0,
        "lock_timeout": _EDITORIAL_LOCK_TIMEOUT,
        "idle_in_transaction_session_timeout": _EDITORIAL_IDLE_TIMEOUT,
    },
}
#: Milliseconds the client waits for an answer beyond the statement timeout, by which the
#: server would have cancelled the statement itself: a server that has not answered by
#: then has gone silent (frozen, or cut off while its host still acknowledges packets),
#: and the connection is closed (newsroom/postgresql/base.py): a reader page answers 503,
#: a publish fails and its transaction is rolled back.
DATABASE_ANSWER_MARGIN = env.int("DATABASE_ANSWER_MARGIN", default=500)


def database(url: str, role: str = "editorial") -> dict:
    """One database alias from a URL: pool and the limits of ``role`` on PostgreSQL; on
    SQLite a busy timeout, write-locking transactions (so concurrent publishes queue, not
    fail) and connections kept between requests."""
    config = environ.Env.db_url_config(url)
    config.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True, ATOMIC_REQUESTS=False)
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, whose connections bound every wait for the server.
        config["ENGINE"] = "newsroom.postgresql"
        # 2 s is libpq's smallest connect_timeout: with the pool's timeout (below) it
        # bounds how long a request waits for a database that is down or hung before
        # answering 503 (newsroom/outages.py).
        options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=2))
        options.setdefault("application_name", env.str("DATABASE_APPLICATION_NAME", "newsroom"))
        # Client-side: a database host that stops answering mid-query (frozen, or cut off
        # by the network) fails the request once sent data goes unacknowledged this long,
        # instead of holding the worker until gunicorn kills it; keepalives find pooled
        # connections that died while idle. libpq parameters, in ms and seconds.
        options.setdefault("tcp_user_timeout", env.int("DATABASE_TCP_USER_TIMEOUT", default=10_000))
        options.setdefault("keepalives", 1)
        options.setdefault("keepalives_idle", 30)
        options.setdefault("keepalives_interval", 5)
        options.setdefault("keepalives_count", 3)
        limits = CONNECTION_LIMITS[role]
        server_options = " ".join(f"-c {name}={value}" for name, value in limits.items())
        options["options"] = " ".join(filter(None, [options.get("options", ""), server_options]))
        statement = limits["statement_timeout"]
        config["ANSWER_TIMEOUT"] = (
            (statement + DATABASE_ANSWER_MARGIN) / 1000 if statement else None
        )
        if DATABASE_POOL:
            options["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
                "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
                # Seconds a request waits for a connection before failing with 503:
                # this, not connect_timeout, is what a request waits when the database
                # is down or hung (the pool keeps trying in the background).
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
                "max_idle": env.float("DATABASE_POOL_MAX_IDLE", default=300.0),
                "max_lifetime": env.float("DATABASE_POOL_MAX_LIFETIME", default=3600.0),
            }
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # Kept open between requests: a new SQLite connection reads the whole schema
        # (every table, index and trigger) on its first query, which was a third of an
        # uncached story page. CONN_HEALTH_CHECKS replaces a connection that broke.
        config["CONN_MAX_AGE"] = env.int("DATABASE_SQLITE_CONN_MAX_AGE", default=600)
        options.setdefault("timeout", 20)
        options.setdefault("transaction_mode", "IMMEDIATE")
    return config


DATABASES = {
    "default": database(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASE_ROUTERS = ["newsroom.routers.OwnerRouter"]

# Reader pages read through a connection of their own to the same database, with the
# reader's short limits (newsroom/routers.py); PostgreSQL only (SQLite has no limits).
if DATABASES["default"]["ENGINE"] == "newsroom.postgresql":
    DATABASES["reader"] = database(env.str("DATABASE_URL"), role="reader")
    DATABASES["reader"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS.append("newsroom.routers.ReaderRouter")

# The owner role (PostgreSQL): the role that owns the tables, runs the migrations and
# legal removals, and grants the application's role (DATABASE_URL's) its data rights
# (stories/record/privileges.py). Give DATABASE_OWNER_URL to those processes only (`make
# serve` migrates with it and starts gunicorn without it): whoever holds the application's
# credentials can then neither drop the append-only triggers nor alter a table. Unset, one
# role does everything (SQLite has no roles), and `check --deploy --database default`
# warns in production. Tests point the alias at their own database.
DATABASE_OWNER_URL = env.str("DATABASE_OWNER_URL", default="")
#: The application's role, granted data rights by the owner (empty on SQLite).
DATABASE_APPLICATION_ROLE = DATABASES["default"].get("USER", "")
if DATABASE_OWNER_URL:
    DATABASES["owner"] = database(DATABASE_OWNER_URL, role="owner")
    DATABASES["owner"]["TEST"] = {"MIRROR": "default"}

# Read replica: reader pages read from it; writes, publishing and the admin use the
# primary (newsroom/routers.py). Tests treat it as a mirror of the default database.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database(DATABASE_REPLICA_URL, role="reader")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS.append("newsroom.routers.PrimaryReplicaRouter")

# Cache: REDIS_URL selects Redis through django-redis; unset means local memory.
#
# The cache accelerates and is never required: django-redis's IGNORE_EXCEPTIONS turns a
# Redis that is down or hung into cache misses (short socket timeouts bound the wait),
# so reader pages render from the database, and cached_db sessions, which are written
# through to the database, fall back to it: editors keep working and can log in. The
# ignored errors are logged by "newsroom.cache" at most once a minute per process
# (newsroom.log_filters.OncePerInterval).
# With Redis, sessions are cached_db: read from Redis, written through to the database,
# so a Redis restart logs nobody out. Without it they stay in the database, since each
# process's local-memory cache would disagree with the others'.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="newsroom"),
            "TIMEOUT": env.int("CACHE_TIMEOUT", default=300),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                # Redis on the local network answers in well under a millisecond: a
                # tenth of a second is plenty when it is healthy, and all a cache call
                # loses when it is hung (a login makes about ten of them).
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.1),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.1),
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "newsroom.cache"

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
#: Where ``collectstatic`` writes (and WhiteNoise serves from) in production.
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Media: stories' pictures (stories/media/pictures.py), written once under content-addressed
# names and never overwritten. NEWSROOM_MEDIA_STORAGE picks the storage: "local" (the
# default: MEDIA_ROOT, a git-ignored media/ folder), "s3" (django-storages, any
# S3-compatible object store, configured below), or the dotted path of any Django
# storage class, with its options as JSON in NEWSROOM_MEDIA_STORAGE_OPTIONS. The
# application serves media only in the demo and with DJANGO_DEBUG (newsroom/urls.py);
# in production a web server, the object store or a CDN serves NEWSROOM_MEDIA_URL.
MEDIA_STORAGE = env.str("NEWSROOM_MEDIA_STORAGE", default="local")
MEDIA_URL = env.str("NEWSROOM_MEDIA_URL", default="/media/")
if not MEDIA_URL.endswith("/"):
    MEDIA_URL += "/"
MEDIA_ROOT = Path(env.str("NEWSROOM_MEDIA_ROOT", default="") or BASE_DIR / "media")
MEDIA_IS_REMOTE = MEDIA_URL.startswith(("https://", "http://"))
#: Days the files of a picture that no version and no working copy uses are kept (an
#: upload waiting in a form, a draft not saved yet) before ``delete_unused_pictures``.
PICTURE_GRACE_DAYS = env.int("NEWSROOM_PICTURE_GRACE_DAYS", default=7)


def media_storage(kind: str) -> dict:
    """The ``STORAGES["default"]`` entry for ``NEWSROOM_MEDIA_STORAGE``."""
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind == "s3":
        if not MEDIA_IS_REMOTE:
            raise ImproperlyConfigured(
                "NEWSROOM_MEDIA_STORAGE=s3 needs NEWSROOM_MEDIA_URL: the public address the "
                "bucket's files are read from, e.g. https://media.news.example.com/."
            )
        scheme, _, address = MEDIA_URL.partition("://")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env.str("NEWSROOM_MEDIA_BUCKET"),
                "endpoint_url": env.str("NEWSROOM_MEDIA_ENDPOINT_URL", default="") or None,
                "region_name": env.str("NEWSROOM_MEDIA_REGION", default="") or None,
                # Credentials: boto3's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or
                # the machine's role); public, unsigned URLs on NEWSROOM_MEDIA_URL.
                "custom_domain": address.rstrip("/"),
                "url_protocol": f"{scheme}:",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        }
    return {"BACKEND": kind, "OPTIONS": env.json("NEWSROOM_MEDIA_STORAGE_OPTIONS", default={})}


#: The application serves MEDIA_URL itself only on a laptop (make run, DJANGO_DEBUG).
SERVE_MEDIA = (DEBUG or DEMO_MODE) and MEDIA_STORAGE == "local" and not MEDIA_IS_REMOTE

STORAGES = {
    "default": media_storage(MEDIA_STORAGE),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Outside production WhiteNoise serves static files straight from the source folders,
# picking up edits, so runserver needs neither DEBUG nor collectstatic (the demo runs
# without DEBUG: readers see the site's own error pages).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Files browsers ask for at the site's root, served there by WhiteNoise: /favicon.ico
# (the reader site's and the admin's tab icon; robots.txt is a view).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Audit trail: reasons are free text (must be set before the first migration).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# The publication, as named in templates, feeds, sitemaps and structured data.
PUBLICATION_NAME = env.str("NEWSROOM_PUBLICATION_NAME", default="The Newsroom Chronicle")
#: The site's address, from which canonical links, feeds, sitemaps, structured data and
#: emails are built. Required in production; elsewhere, when unset, links are built from
#: the address each request came in on (so ``make run PORT=8123`` links to port 8123).
PUBLICATION_URL = env.str("NEWSROOM_PUBLICATION_URL", default="").rstrip("/")
if PRODUCTION and not PUBLICATION_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "NEWSROOM_PUBLICATION_URL must be set when DJANGO_ENV=production: the site's address, "
        "e.g. https://news.example.com (canonical links, feeds and emails are built from it)."
    )
PUBLICATION_LOGO = env.str("NEWSROOM_PUBLICATION_LOGO", default="stories/logo.svg")
PUBLICATION_LANGUAGE = env.str("NEWSROOM_PUBLICATION_LANGUAGE", default="en")

# Reader pages (stories/reader/caching.py): Cache-Control max-age for browsers and the CDN, and
# how long a rendered page stays in the server cache (a publish makes it stale at once).
READER_MAX_AGE = env.int("NEWSROOM_READER_MAX_AGE", default=60)
READER_CACHE_TIMEOUT = env.int("NEWSROOM_READER_CACHE_TIMEOUT", default=60 * 60)
#: Reader pages each process keeps in its own memory in front of Redis (checked against
#: Redis's generations on every hit, so a publish still reaches every process at once);
#: 0 turns it off. Pointless without Redis: the local-memory cache is in the process.
READER_LOCAL_CACHE_ENTRIES = env.int(
    "NEWSROOM_READER_LOCAL_CACHE_ENTRIES", default=200 if REDIS_URL else 0
)

# The edge (stories/edge/, deploy/varnish/newsroom.vcl): Varnish servers or a CDN in front
# of the app servers, keeping public answers for EDGE_MAX_AGE (Cache-Control s-maxage)
# and told of every change by a soft purge of its surrogate keys, sent by the worker to
# each of EDGE_PURGE_URLS (none: no edge, nothing is sent).
EDGE_PURGE_URLS = env.list("NEWSROOM_EDGE_PURGE_URLS", default=[])
EDGE_MAX_AGE = env.int("NEWSROOM_EDGE_MAX_AGE", default=7 * 24 * 60 * 60)
#: Seconds a purge waits for an edge's answer before it is retried later.
EDGE_PURGE_TIMEOUT = env.float("NEWSROOM_EDGE_PURGE_TIMEOUT", default=5.0)

# Reader reports (stories/reporting.py): how many reports one client may send, and
# where the digest of new reports goes.
#: django-ratelimit rate of the report form, per client address ("10/h": ten an hour).
REPORT_RATE = env.str("NEWSROOM_REPORT_RATE", default="10/h")
#: The corrections desk: receives the digest of new reader reports (``send_report_digest``).
CORRECTIONS_DESK_EMAIL = env.str(
    "NEWSROOM_CORRECTIONS_DESK_EMAIL", default="" if PRODUCTION else "corrections-desk@localhost"
)
#: Days a reader's name and email are kept after their report, once the desk has closed it
#: (``forget_reader_contacts`` erases them; the form's consent text says so).
REPORT_CONTACT_RETENTION_DAYS = env.int("NEWSROOM_REPORT_CONTACT_RETENTION_DAYS", default=90)
# Rate limits (django-ratelimit, stories/reader/ratelimit.py) count in the default
# cache: Redis in production, whose atomic counters every worker shares. django-ratelimit
# is deliberately not an installed app: its system checks would flag a laptop's
# local-memory cache as not shared (true, and fine for one runserver process).
RATELIMIT_USE_CACHE = "default"

# Email: the console in development and the demo (messages are printed by runserver and
# the worker), SMTP in production from EMAIL_URL, e.g. smtp+tls://user:password@host:587.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://"
)
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="The Newsroom Chronicle <corrections@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Background work (django-tasks, the backport of Django 6's tasks framework): emails to
# readers are tasks. The database backend keeps them in PostgreSQL, committed with the
# publish that enqueued them, and ``manage.py db_worker`` (``make worker``) runs them;
# in development, the demo and the tests they run at once, in the request.
TASKS_BACKEND = env.str("NEWSROOM_TASKS_BACKEND", default="database" if PRODUCTION else "immediate")
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"NEWSROOM_TASKS_BACKEND must be database or immediate, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# The read API (stories/api/, docs/partners.md): requests per client and minute, for
# anonymous clients (by address) and for partners' keys (by key); django-ratelimit's syntax.
API_ANON_RATE = env.str("NEWSROOM_API_ANON_RATE", default="60/m")
API_PARTNER_RATE = env.str("NEWSROOM_API_PARTNER_RATE", default="1200/m")

# Webhooks (stories/partners/, docs/partners.md). Deliveries go to public addresses only:
# NEWSROOM_WEBHOOKS_ALLOW_PRIVATE lets them reach loopback and private networks, for
# development and tests; production refuses to start with it.
WEBHOOKS_ALLOW_PRIVATE = env.bool("NEWSROOM_WEBHOOKS_ALLOW_PRIVATE", default=False)
if PRODUCTION and WEBHOOKS_ALLOW_PRIVATE:
    raise ImproperlyConfigured(
        "NEWSROOM_WEBHOOKS_ALLOW_PRIVATE must not be set when DJANGO_ENV=production: webhook "
        "deliveries would reach the site's own private network (server-side request forgery)."
    )
#: Seconds a delivery waits to connect, and then for the answer.
WEBHOOK_TIMEOUT = env.float("NEWSROOM_WEBHOOK_TIMEOUT", default=10.0)
#: Hours the previous signing secret keeps signing after a rotation.
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("NEWSROOM_WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
#: Days an endpoint may fail every delivery before it is disabled and its contact told.
WEBHOOK_DISABLE_AFTER_DAYS = env.float("NEWSROOM_WEBHOOK_DISABLE_AFTER_DAYS", default=3.0)

# The transparency log (docs/transparency.md): the Ed25519 key that signs its tree heads,
# as the 32-byte seed in hex. Required in production; generated into a git-ignored file
# on a laptop.
LOG_SIGNING_KEY = signing_key_seed(
    env.str(LOG_KEY_VARIABLE, default=""),
    production=PRODUCTION,
    development_file=BASE_DIR / ".newsroom-log-signing-key",
)
#: The signer's own record of the last tree head its key signed, outside the database,
#: so the key signs only extensions of it (stories/record/signer.py). Required in
#: production; beside the generated key on a laptop.
LOG_SIGNER_STATE = signer_state_path(
    env.str(LOG_STATE_VARIABLE, default=""),
    production=PRODUCTION,
    development_file=BASE_DIR / ".newsroom-log-signer.json",
)
#: Outside production a signer with no record adopts the log it finds, and a new, empty
#: database (a laptop's) starts a new log. In production both are refused until an
#: operator runs ``manage.py log_signer --adopt``.
LOG_SIGNER_TRUST_ON_FIRST_USE = not PRODUCTION
#: The log's name in its C2SP checkpoints (/log/checkpoint).
LOG_ORIGIN = log_origin(env.str(LOG_ORIGIN_VARIABLE, default=""), PUBLICATION_URL)
#: Witnesses whose cosignatures of the checkpoint the site accepts and serves, as C2SP
#: verifier keys (name+keyid+base64); checked by a system check.
LOG_WITNESSES = env.list("NEWSROOM_LOG_WITNESSES", default=[])
#: django-ratelimit rate of cosignature submissions, per client address.
LOG_COSIGNATURE_RATE = env.str("NEWSROOM_LOG_COSIGNATURE_RATE", default="60/h")
#: Told by email when the signer refuses a tree, besides everyone who may publish.
LOG_ALERT_EMAILS = env.list("NEWSROOM_LOG_ALERT_EMAIL", default=[])

# The audit trail's chain (stories/record/audit_chain.py): each audit row's hash is an
# HMAC of the previous row's under this key, so that whoever rewrites rows in the
# database (even as its owner) cannot make the chain whole again without it. 32 bytes in
# hex; required in production; generated into a git-ignored file on a laptop.
AUDIT_CHAIN_KEY = secret_key(
    env.str("NEWSROOM_AUDIT_KEY", default=""),
    variable="NEWSROOM_AUDIT_KEY",
    what="key that chains the audit trail",
    why="the audit rows already written are chained with it",
    production=PRODUCTION,
    development_file=BASE_DIR / ".newsroom-audit-key",
)

#: Username recorded on history rows written by commands that are given no user.
NEWSROOM_SYSTEM_USERNAME = "newsroom-system"

# The desk (docs/desk.md). The two-person rule: nothing is published, scheduled or
# withdrawn unless a second editor approved the exact edit (stories/publishing.py). On
# by default everywhere, tests and the demo included.
NEWSROOM_REQUIRE_REVIEW = env.bool("NEWSROOM_REQUIRE_REVIEW", default=True)
#: Days an outside approver's signed preview link stays valid (unless revoked or ended).
PREVIEW_LINK_DAYS = env.int("NEWSROOM_PREVIEW_LINK_DAYS", default=7)
#: django-ratelimit rate of comments sent from preview links, per client address.
PREVIEW_COMMENT_RATE = env.str("NEWSROOM_PREVIEW_COMMENT_RATE", default="10/h")

LOGIN_URL = "admin:login"

# A second factor (TOTP with recovery codes, django-otp) for every account that can
# change the public record: publish, withdraw, or (superusers) remove content for a legal
# reason (newsroom/admin_site.py). Required in production (a system check refuses to
# run without it); optional on a laptop and in the demo, where anyone may set one up.
SECOND_FACTOR_REQUIRED = env.bool("NEWSROOM_REQUIRE_SECOND_FACTOR", default=PRODUCTION)
OTP_TOTP_ISSUER = PUBLICATION_NAME

# Failed admin logins are throttled per account and per client (django-axes): after
# AXES_FAILURE_LIMIT failures either one is refused with a 429 page for the cool-off
# time. Attempts are counted in the shared cache (Redis) when there is one, else in the
# database (a local-memory cache would count per process).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if REDIS_URL
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = env.int("NEWSROOM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("NEWSROOM_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "admin/login_locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
#: The request header holding the client's address behind a proxy (e.g.
#: ``HTTP_X_REAL_IP``); unset means REMOTE_ADDR. Used by the login throttle and the
#: reader's rate limits.
CLIENT_IP_META_KEY = env.str("NEWSROOM_CLIENT_IP_HEADER", default="") or None
AXES_IPWARE_META_PRECEDENCE_ORDER = [CLIENT_IP_META_KEY or "REMOTE_ADDR"]
RATELIMIT_IP_META_KEY = CLIENT_IP_META_KEY
# A cache that cannot count (Redis down) lets requests through: the cache is never
# required, and a search is cheap enough to serve unthrottled for a while.
RATELIMIT_FAIL_OPEN = True
#: Searches a client may run per minute (reader/ratelimit.py); cached answers are free.
READER_SEARCH_RATE = env.str("NEWSROOM_SEARCH_RATE", default="20/m")

# Content-Security-Policy (django-csp) and Permissions-Policy on every answer. Reader
# pages run the site's own script files only ('self': the story page's "Report an
# error" link carries the passage a reader selected, static/stories/report-selection.js)
# and no inline script or style at all; the JSON-LD is a data block
# (type="application/ld+json"), which browsers never execute and script-src does not
# govern. 'self' rather than nonces: reader pages are cached whole (server cache, CDN),
# and a nonce in a cached page would be the same for every reader. The admin also
# fetches from the site (its autocomplete); newsroom/security.py picks the policy by path.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Pictures come from the site, or from the media address (object store, CDN).
        "img-src": ["'self'", "data:", *([MEDIA_URL] if MEDIA_IS_REMOTE else [])],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        # Django's admin scripts (as reader pages), and their autocomplete requests.
        "connect-src": ["'self'"],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "payment", "usb",
    )
}  # fmt: skip


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``DJANGO_SECURE_PROXY_SSL_HEADER``: unset for none, ``1`` for X-Forwarded-Proto,
    or ``Header-Name`` / ``Header-Name,value`` for another proxy's header."""
    value = value.strip()
    if value.lower() in ("", "0", "false", "no", "off"):
        return None
    if value.lower() in ("1", "true", "yes", "on"):
        return ("HTTP_X_FORWARDED_PROTO", "https")
    name, _, expected = value.partition(",")
    name = name.strip().upper().replace("-", "_")
    if not name.startswith("HTTP_"):
        name = f"HTTP_{name}"
    return (name, expected.strip() or "https")


if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # The load balancer probes health over plain http from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Only behind a proxy that sets this header itself (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env.str("DJANGO_SECURE_PROXY_SSL_HEADER", ""))

# Logs: in production one JSON object per line (python-json-logger) on stdout, for the
# log collector of whatever runs the app servers; on a laptop plain lines on stderr,
# which keeps the output of commands such as export_story clean.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOG_STREAM = env.str("DJANGO_LOG_STREAM", default="stdout" if PRODUCTION else "stderr")
if LOG_STREAM not in ("stdout", "stderr"):
    raise ImproperlyConfigured(f"DJANGO_LOG_STREAM must be stdout or stderr, not {LOG_STREAM!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": JSON_FORMATTER,
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": f"ext://sys.{LOG_STREAM}",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "filters": {
        # django-redis logs every ignored error: one line a minute per process says it.
        "cache_outage": {"()": "newsroom.log_filters.OncePerInterval", "seconds": 60},
    },
    "loggers": {
        "newsroom.cache": {"filters": ["cache_outage"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
