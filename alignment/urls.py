from django.contrib import admin
from django.urls import include, path

from alignment import health
from reviews import views as review_views
from strategy import language_views, sso_views
from strategy import views as strategy_views
from twofactor import views as twofactor_views

urlpatterns = [
    path("", review_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("language/", language_views.language_set, name="language-set"),
    path("strategy/", include("strategy.urls")),
    path("reviews/", include("reviews.urls")),
    path("reviews/", include("notifications.urls")),
    path("reviews/", include("reports.urls")),
    path("reviews/", include("sustain.urls")),
    path("", include("api.urls")),
    # The password step of a sign-in, then the second factor's (twofactor/); invitations.
    path("accounts/login/", twofactor_views.PasswordLoginView.as_view(), name="login"),
    path("accounts/second-factor/", include("twofactor.urls")),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        strategy_views.InvitationConfirmView.as_view(),
        name="invitation-confirm",
    ),
    path("accounts/logout/", sso_views.Logout.as_view(), name="logout"),
    path("accounts/sso/login/", sso_views.SSOLogin.as_view(), name="sso-login"),
    path("accounts/sso/callback/", sso_views.SSOCallback.as_view(), name="sso-callback"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
