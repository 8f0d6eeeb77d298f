from django.contrib import admin
from django.urls import include, path

from alignment import health
from reviews import views as review_views

urlpatterns = [
    path("", review_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("strategy/", include("strategy.urls")),
    path("reviews/", include("reviews.urls")),
    path("reviews/", include("notifications.urls")),
    path("reviews/", include("reports.urls")),
    path("reviews/", include("sustain.urls")),
    path("", include("api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
