from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from api import pages, views

app_name = "api"

urlpatterns = [
    path("api/v1/me/", views.MeView.as_view(), name="me"),
    path("api/v1/schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("api/docs/", pages.docs, name="docs"),
    path("profile/", pages.profile, name="profile"),
    path("profile/tokens/", pages.token_create, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", pages.token_revoke, name="token-revoke"),
]
