"""Django on Lambda through apig-wsgi, unchanged, in one file: `handler` is the Lambda handler.

Mounted at `/django` (a custom domain's base path mapping): the URL patterns carry the prefix, as a
Django project behind such a mapping does.
"""

from __future__ import annotations

import hashlib
import json

import django
from apig_wsgi import make_lambda_handler
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

BLOB = bytes(range(256))  # not UTF-8: only base64 carries it

if not settings.configured:  # one Django per process: a second load of this file reuses the first settings
    settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="example-not-secret",
                       MIDDLEWARE=[], INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 - needs the settings above


def read_item(request: HttpRequest, item_id: str) -> JsonResponse:
    multi = request.headers.get("X-Multi")
    return JsonResponse({"item_id": item_id, "tags": request.GET.getlist("tag"),
                         "multi": [multi] if multi is not None else [], "mixed": request.headers.get("x-mixed-case"),
                         "cookies": dict(request.COOKIES), "path": request.path})


def items(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"received": json.loads(request.body)})


def form(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"form": {key: request.POST.getlist(key) for key in request.POST}})


def upload(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"sha256": hashlib.sha256(request.body).hexdigest(), "size": len(request.body)})


def download(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BLOB, content_type="application/octet-stream")


def cookies(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"set": "a, b"})
    response.set_cookie("a", "1", path="/")
    response.set_cookie("b", "2", path="/")
    return response


def error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: secret-detail-42")


urlpatterns = [
    path("django/items/<str:item_id>", read_item), path("django/items", items), path("django/form", form),
    path("django/upload", upload), path("django/download", download), path("django/cookies", cookies),
    path("django/error", error),
]

handler = make_lambda_handler(get_wsgi_application(), binary_support=True)
