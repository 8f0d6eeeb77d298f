from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from api import pages, views

app_name = "api"

# Path converters, not regexes (lookup_value_converter on each viewset).
router = SimpleRouter(use_regex_path=False)
router.register("positions", views.PositionViewSet, basename="position")
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("measure-actuals", views.MeasureActualViewSet, basename="measure-actual")
router.register("units", views.UnitViewSet, basename="unit")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("cycles", views.CycleViewSet, basename="cycle")
router.register("checks", views.CheckViewSet, basename="check")
router.register("actions", views.ActionViewSet, basename="action")
router.register("signals", views.SignalViewSet, basename="signal")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/me/", views.MeView.as_view(), name="me"),
    path("api/v1/schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    # Last of /api/v1/: anything else there is not found, as problem details.
    re_path(r"^api/v1/", views.NotFoundView.as_view(), name="not-found"),
    path("api/docs/", pages.docs, name="docs"),
    path("profile/", pages.profile, name="profile"),
    path("profile/tokens/", pages.token_create, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", pages.token_revoke, name="token-revoke"),
]
