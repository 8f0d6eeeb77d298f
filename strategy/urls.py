from django.urls import path

from strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.strategy, name="strategy"),
    path("positions/", views.position_list, name="position-list"),
    path("positions/new/", views.position_create, name="position-create"),
    path("positions/<int:fiscal_year>/", views.position_detail, name="position-detail"),
    path("positions/<int:fiscal_year>/history/", views.position_history, name="position-history"),
    path("positions/<int:fiscal_year>/edit/", views.position_edit, name="position-edit"),
    path(
        "positions/<int:fiscal_year>/translations/<str:language>/",
        views.position_translations,
        name="position-translations",
    ),
    path("positions/<int:fiscal_year>/publish/", views.position_publish, name="position-publish"),
    path("positions/<int:fiscal_year>/switch/", views.position_switch, name="position-switch"),
    path(
        "positions/<int:fiscal_year>/objectives/new/",
        views.objective_create,
        name="objective-create",
    ),
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective-edit"),
    path("objectives/<int:pk>/remove/", views.objective_remove, name="objective-remove"),
    path(
        "objectives/<int:pk>/move/<direction>/",
        views.objective_move,
        name="objective-move",
    ),
    path(
        "objectives/<int:pk>/decide/<decision>/",
        views.objective_decide,
        name="objective-decide",
    ),
    path("company/", views.company_edit, name="company-edit"),
    path("measures/import/", views.measure_actuals_import, name="measure-actuals-import"),
    path(
        "measures/import/template.csv",
        views.measure_actuals_template,
        name="measure-actuals-template",
    ),
    path(
        "measures/<int:pk>/values/",
        views.measure_actual_record,
        name="measure-actual-record",
    ),
    path("measures/<int:pk>/history/", views.measure_history, name="measure-history"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix.csv", views.matrix_csv, name="matrix-csv"),
    path("units/", views.unit_list, name="unit-list"),
    path("units/<slug:code>/", views.unit_detail, name="unit-detail"),
    path("units/<slug:code>/history/", views.unit_history, name="unit-history"),
    path("units/<slug:code>/commitments/new/", views.commitment_create, name="commitment-create"),
    path("commitments/<int:pk>/edit/", views.commitment_edit, name="commitment-edit"),
    path(
        "commitments/<int:pk>/confirm/<decision>/",
        views.commitment_confirm,
        name="commitment-confirm",
    ),
]
