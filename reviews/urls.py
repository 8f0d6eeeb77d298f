from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.cycle_list, name="cycle-list"),
    path("new/", views.cycle_create, name="cycle-create"),
    path("<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("<int:pk>/edit/", views.cycle_edit, name="cycle-edit"),
    path("<int:pk>/heatmap/", views.cycle_heatmap, name="cycle-heatmap"),
    path("<int:pk>/open/", views.cycle_open, name="cycle-open"),
    path("<int:pk>/review/", views.cycle_start_review, name="cycle-start-review"),
    path("<int:pk>/close/", views.cycle_close, name="cycle-close"),
    path("<int:pk>/score/", views.executive_score, name="executive-score"),
    path("<int:pk>/actions/new/", views.action_create, name="action-create"),
    path("actions/<int:pk>/complete/", views.action_complete, name="action-complete"),
    path("checks/<int:pk>/", views.check_edit, name="check-edit"),
    path("checks/<int:pk>/save/", views.check_save, name="check-save"),
    path("checks/<int:pk>/measures/", views.check_measures_save, name="check-measures-save"),
    path("checks/<int:pk>/history/", views.check_history, name="check-history"),
    path("checks/<int:pk>/objectives/", views.check_add_objective, name="check-add-objective"),
    path("checks/<int:pk>/reopen/", views.check_reopen, name="check-reopen"),
    path("rubric/", views.rubric_edit, name="rubric-edit"),
    path("cadence/", views.cadence_edit, name="cadence-edit"),
    path("trends/", views.trend_company, name="trends"),
    path("help/<slug:name>/", views.doc_detail, name="doc-detail"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("trends/objectives/<int:pk>/", views.trend_objective, name="trend-objective"),
    path("trends/teams/<slug:code>/", views.trend_team, name="trend-team"),
]
