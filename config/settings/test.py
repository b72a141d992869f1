"""Tests: the real PostgreSQL and Redis, e-mail kept in memory, fast password hashing."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnop"
DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
# Tests get their own Redis databases so a running development stack is not disturbed.
REDIS_URL = env("TEST_REDIS_URL", "redis://localhost:6379/9")
CACHES["default"]["LOCATION"] = REDIS_URL
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", "redis://localhost:6379/10")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = BASE_DIR / ".test-media"
IMPORTS_ROOT = BASE_DIR / ".test-imports"
LOGGING["root"]["level"] = "WARNING"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CLOUDINARY_URL = ""  # tests never reach Cloudinary; its client is tested against recorded contracts
# Each test run has a queue of its own, so workers of runs side by side never take each
# other's tasks (the worker fixture passes the name on to its process).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TEST_QUEUE", f"x8-test-{os.getpid()}")
CELERY_INBOUND_QUEUE = CELERY_TASK_DEFAULT_QUEUE  # the test worker takes every task of its run
CELERY_TASK_ROUTES = {"channels.inbox_drain": {"queue": CELERY_INBOUND_QUEUE}}
# Live-chat groups of this run only (the worker fixture passes the prefix on too).
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": None}]
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env(
    "CHANNEL_LAYER_PREFIX", f"x8-test-{os.getpid()}"
)
# Tests never reach a real AI service, whatever a developer's .env says (the AI path is
# tested against a local fake server that the tests start themselves).
ASSISTANT_AI_BASE_URL = ""
# Tests never reach Stripe: no keys unless a test sets them (and then the simulator's store
# answers), whatever a developer's .env says.
STRIPE_SECRET_KEY = ""
STRIPE_PUBLIC_KEY = ""
STRIPE_LIVE_MODE = False
if "STRIPE_API_HOST" in globals():
    del STRIPE_API_HOST  # noqa: F821
