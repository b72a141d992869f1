"""Settings shared by every environment. Secrets and endpoints come only from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from django.utils.translation import gettext_lazy as _

from config.env import env, env_int, env_list, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent.parent
load_dotenv(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", "")
DEBUG = False

# Hosts: the public site lives on SITE_DOMAIN, every business on <slug>.SITE_DOMAIN.
SITE_DOMAIN = env("SITE_DOMAIN", "localhost")
SITE_SCHEME = env("SITE_SCHEME", "http")
SITE_PORT = env_int("SITE_PORT", 8000)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [SITE_DOMAIN, f".{SITE_DOMAIN}"])

SHARED_APPS = [
    "tenants",
    "django_tenants",
    "daphne",
    "accounts",
    "connections",
    "config.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "djstripe",
    "billing",
    "managers",
    "helpdesk",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "tenants.companies",
    "media_library",
    "knowledge",
    "channels_app",
    "conversations",
    "webchat",
    "assistant",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Business"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.unknown_host"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Business-schema names are derived from slugs; a prefix keeps them clear of public/pg_ names.
BUSINESS_SCHEMA_PREFIX = "biz_"

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.logging.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.BusinessMemberMiddleware",
    "billing.middleware.BillingReadOnlyMiddleware",
    "accounts.middleware.UnconfiguredProviderMiddleware",
]

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
                "django.template.context_processors.i18n",
                "tenants.context_processors.portal",
                "billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"


def _database_from_url(url: str) -> dict:
    parts = urlparse(url)
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": parts.path.lstrip("/") or "x8",
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "localhost",
        "PORT": str(parts.port or 5432),
        # A pool of connections, shared by the threads of a process: under ASGI every request
        # runs in a thread of its own, so persistent per-thread connections (CONN_MAX_AGE)
        # would pile up. Django's pool needs CONN_MAX_AGE = 0.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "connect_timeout": 3,
            "pool": {
                "min_size": 1,
                "max_size": env_int("DATABASE_POOL_SIZE", 10),
                "timeout": 10,
            },
        },
        "TEST": {"NAME": env("DATABASE_TEST_NAME", "test_x8")},
    }


DATABASE_URL = env("DATABASE_URL", "postgres://x8:x8@localhost:5432/x8")
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://localhost:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # Platform admins may do in the admin what their role allows, without per-model grants.
    "managers.backends.PlatformAdminPermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "after_login"
LOGOUT_REDIRECT_URL = "/"

# allauth: e-mail is the login; sign-up is our own three-step flow (accounts.views.signup_*).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "request_login_code": "20/m/ip,3/m/key",
    "reset_password": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "X8 Network: "
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
# A Google/Facebook log-in with a verified e-mail signs in the account that has that e-mail.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True


def _social_provider(prefix: str) -> dict:
    """A provider entry with an app only when its keys are set, so its button shows only then."""
    client_id, secret = env(f"{prefix}_CLIENT_ID", ""), env(f"{prefix}_CLIENT_SECRET", "")
    return {"APPS": [{"client_id": client_id, "secret": secret}]} if client_id and secret else {}


SOCIALACCOUNT_PROVIDERS = {
    "google": {**_social_provider("GOOGLE"), "SCOPE": ["email", "profile"]},
    "facebook": {**_social_provider("FACEBOOK"), "SCOPE": ["email"]},
}

# Sign-up codes and the log-in hand-off between hosts.
SIGNUP_CODE_TTL_SECONDS = 10 * 60
SIGNUP_CODE_MAX_ATTEMPTS = 5
SIGNUP_CODE_RATE = {"per_email": (3, 10 * 60), "per_ip": (20, 60 * 60)}
LOGIN_HANDOFF_TTL_SECONDS = 60
TRIAL_DAYS = 7

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
#: Local media files (when Cloudinary is not configured) are served, to members of the business
#: that owns them, under /media/files/<schema>/...; /media/ itself is the media library page.
MEDIA_URL = "/media/files/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_IMAGE_MAX_BYTES = env_int("MEDIA_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
MEDIA_VIDEO_MAX_BYTES = env_int("MEDIA_VIDEO_MAX_BYTES", 100 * 1024 * 1024)
#: ``cloudinary://<api_key>:<api_secret>@<cloud_name>``: media go to Cloudinary; empty: local disk.
CLOUDINARY_URL = env("CLOUDINARY_URL", "")
#: Uploaded price lists (private, never served); the worker reads them from here.
IMPORTS_ROOT = Path(env("IMPORTS_ROOT", str(BASE_DIR / "var" / "imports")))
#: Real shops' price lists the demo business's knowledge bases are imported from.
DEMO_CATALOGS_DIR = Path(
    env("DEMO_CATALOGS_DIR", str(BASE_DIR.parent / "shared" / "fixtures" / "catalogs"))
)
KNOWLEDGE_IMPORT_MAX_BYTES = int(env("KNOWLEDGE_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # the mapping form of a wide price list
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "X8 Network <no-reply@x8.network>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
#: Where the help bot sends people it cannot answer.
SUPPORT_EMAIL = env("SUPPORT_EMAIL", "support@x8.network")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api.permissions.IsBusinessMember"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "600/min"},
    "EXCEPTION_HANDLER": "billing.api.views.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "X8 Network API",
    "DESCRIPTION": (
        "The API of a business's portal. Call it on the business's own host "
        "(https://<slug>.<domain>/api/v1/) with a session or `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CompanyKindEnum": "tenants.companies.models.Company.Kind",
        "ProductOrServiceEnum": "knowledge.models.KnowledgeBase.Kind",
        "MediaKindEnum": "media_library.models.Media.Kind",
        "ImportModeEnum": "knowledge.models.ImportJob.Mode",
        "ConversationModeEnum": "conversations.models.Conversation.Mode",
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
#: Live chat: websocket groups across daphne processes and the worker. Redis pub/sub: a
#: message to a group is published once and each daphne process hands it to its own
#: sockets (the list-based layer pushed one copy per socket; see conversations/live.py).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # No socket timeout: a consumer waits on Redis for as long as its socket is idle.
            "hosts": [{"address": env("CHANNEL_LAYER_URL", REDIS_URL), "socket_timeout": None}],
            "prefix": env("CHANNEL_LAYER_PREFIX", "x8"),
        },
    }
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
#: Customers' messages are applied from a queue of their own, by a worker of their own, so
#: they never wait behind follow-up work (read receipts, media copies, replies).
CELERY_INBOUND_QUEUE = env("CELERY_INBOUND_QUEUE", "inbound")
CELERY_TASK_ROUTES = {"channels.inbox_drain": {"queue": CELERY_INBOUND_QUEUE}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "knowledge-expire-uploads": {"task": "knowledge.expire_uploads", "schedule": 3600.0},
    "channels-health-check": {"task": "channels.health_check", "schedule": 300.0},
    "channels-inbox-drain": {"task": "channels.inbox_drain", "schedule": 10.0},
    "conversations-turns-sweep": {"task": "conversations.turns_sweep", "schedule": 60.0},
    "conversations-history-expire": {
        "task": "conversations.history_expire",
        "schedule": 3600.0,
    },
    "billing-trial-reminders": {"task": "billing.trial_reminders", "schedule": 3600.0},
}

# WhatsApp through WAHA (a local simulator in development; see README).
WAHA_URL = env("WAHA_URL", "http://localhost:3000")
WAHA_API_KEY = env("WAHA_API_KEY", "dev-waha-key")
WAHA_TIMEOUT = float(env("WAHA_TIMEOUT", "10"))
#: Where WAHA posts events; default: /webhooks/waha/ on the public host.
WAHA_WEBHOOK_URL = env("WAHA_WEBHOOK_URL", "")
#: Webhooks older than this (by X-Webhook-Timestamp) are refused as replays.
WAHA_WEBHOOK_MAX_AGE_SECONDS = int(env("WAHA_WEBHOOK_MAX_AGE_SECONDS", "300"))
WAHA_RETRY_BASE_SECONDS = float(env("WAHA_RETRY_BASE_SECONDS", "2"))
#: Consecutive customer messages within this many seconds are answered as one turn.
CONVERSATION_BURST_SECONDS = float(env("CONVERSATION_BURST_SECONDS", "4"))
#: Days of conversation history a business keeps until its plan says otherwise.
HISTORY_RETENTION_DAYS_DEFAULT = int(env("HISTORY_RETENTION_DAYS_DEFAULT", "90"))
#: Longest message staff, the web chat or a channel may send in one piece.
MESSAGE_MAX_CHARS = 4096
#: Web chat visitors: messages per minute, and websocket frames per 10 seconds.
WIDGET_MESSAGES_PER_MINUTE = int(env("WIDGET_MESSAGES_PER_MINUTE", "20"))
WIDGET_FRAMES_PER_10_SECONDS = int(env("WIDGET_FRAMES_PER_10_SECONDS", "30"))
#: Connected channels on the trial (paid plans set their own; see billing.catalog).
TRIAL_CHANNELS = 1
#: Fernet keys for connection secrets, newest first, comma-separated.
SECRETS_ENCRYPTION_KEYS = env_list("SECRETS_ENCRYPTION_KEYS", [])
CELERY_TIMEZONE = TIME_ZONE

SESSION_COOKIE_AGE = 14 * 24 * 3600
CSRF_COOKIE_HTTPONLY = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logging.ContextFilter"}},
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "json"}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},  # the library logs every request at INFO
    },
}

HEALTHZ_WORKER_TIMEOUT = float(os.environ.get("HEALTHZ_WORKER_TIMEOUT", "1.0"))

# --- The assistant's AI service (assistant/ai.py) ---------------------------------------
# One OpenAI-compatible chat-completions endpoint for the whole platform: OpenAI
# (https://api.openai.com/v1), OpenRouter (https://openrouter.ai/api/v1), a local Ollama
# (http://localhost:11434/v1) or a vLLM server. Without a base URL or a model the assistant
# answers by its rules alone. The key may be empty for local servers.
ASSISTANT_AI_BASE_URL = env("ASSISTANT_AI_BASE_URL", "")
ASSISTANT_AI_API_KEY = env("ASSISTANT_AI_API_KEY", "")
ASSISTANT_AI_MODEL = env("ASSISTANT_AI_MODEL", "")
#: Seconds to wait for the model before sending the rules' answer instead.
ASSISTANT_AI_TIMEOUT = float(env("ASSISTANT_AI_TIMEOUT", "8"))
ASSISTANT_AI_MAX_TOKENS = env_int("ASSISTANT_AI_MAX_TOKENS", 400)

# --- Subscription billing: Stripe through dj-stripe (billing/) -----------------------------
# Without a secret key the product runs with trials and plans granted in the admin; the
# billing page says how to turn online payment on. A key starting sk_live_ means live mode.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLIC_KEY = env("STRIPE_PUBLIC_KEY", "")
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
if env("STRIPE_API_BASE", ""):
    # Another Stripe API server: the local simulator in development (dj-stripe reads this).
    STRIPE_API_HOST = env("STRIPE_API_BASE", "")
STRIPE_TIMEOUT = float(env("STRIPE_TIMEOUT", "15"))
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = "tenants.Business"
DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY = "x8_business"
#: Days a business whose renewal failed keeps working while Stripe retries the card.
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", 3)
#: The trial's reminder goes this many days before it ends.
TRIAL_REMINDER_DAYS = env_int("TRIAL_REMINDER_DAYS", 2)
#: Where ENTERPRISE enquiries go (the billing page links to it).
SALES_EMAIL = env("SALES_EMAIL", "sales@x8.network")
