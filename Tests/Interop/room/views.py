"""Serves the test page and its script from room/page/ (read on every request)."""

from pathlib import Path

from django.http import HttpResponse, HttpResponseNotFound

PAGE_DIR = Path(__file__).resolve().parent / "page"


def _file(name: str, content_type: str) -> HttpResponse:
    response = HttpResponse((PAGE_DIR / name).read_bytes(), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def page(request):
    return _file("index.html", "text/html; charset=utf-8")


def script(request):
    return _file("room.js", "text/javascript; charset=utf-8")


def no_icon(request):
    return HttpResponseNotFound()
