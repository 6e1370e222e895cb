"""Django settings for the reference room. Test-only: no database, no sessions, no auth."""

SECRET_KEY = "interop-tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["channels"]
MIDDLEWARE = []
DATABASES = {}
ROOT_URLCONF = "room.urls"
ASGI_APPLICATION = "room.asgi.application"
USE_TZ = True

# One process, one room: the in-memory layer is all the relay needs.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "room": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django": {"handlers": ["stderr"], "level": "WARNING"},
    },
}
