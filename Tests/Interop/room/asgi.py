"""ASGI entry point: `daphne -b 127.0.0.1 -p PORT room.asgi:application` (cwd Tests/Interop)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "room.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from room.consumer import RoomConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # An empty pattern matches every path: one room for all, as the original server.
        "websocket": URLRouter([re_path(r"", RoomConsumer.as_asgi())]),
    }
)
