"""The product's URLs plus a trivial view, so that pages are compared with the bare stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    # Same middleware as every page (session, login required, CSP…), no query of its own.
    return HttpResponse("ok")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("", include("alignment.urls")),
]
