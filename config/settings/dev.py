"""Development: console e-mail, debug pages, a fixed development secret unless one is set."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-secret-key-never-use-it-in-production-0123456789")
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# daphne serves static files straight from the source folders in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
