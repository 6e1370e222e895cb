"""HTTP routes: the page script, and the page itself on every other path.

The page opens its WebSocket on its own path, and every WebSocket path joins the one room,
so `/`, `/?name=alice` and `/any/path?name=bob` all land in the same meeting.
"""

from django.urls import path, re_path

from room import views

urlpatterns = [
    path("static/room.js", views.script),
    path("favicon.ico", views.no_icon),
    re_path(r"^.*$", views.page),
]
