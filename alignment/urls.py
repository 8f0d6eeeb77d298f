from django.contrib import admin
from django.urls import include, path

from alignment import health
from reviews import views as review_views
from strategy import sso_views

urlpatterns = [
    path("", review_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("strategy/", include("strategy.urls")),
    path("reviews/", include("reviews.urls")),
    path("reviews/", include("notifications.urls")),
    path("reviews/", include("reports.urls")),
    path("reviews/", include("sustain.urls")),
    path("", include("api.urls")),
    path("accounts/logout/", sso_views.Logout.as_view(), name="logout"),
    path("accounts/sso/login/", sso_views.SSOLogin.as_view(), name="sso-login"),
    path("accounts/sso/callback/", sso_views.SSOCallback.as_view(), name="sso-callback"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
