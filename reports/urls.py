from django.urls import path

from reports import views

app_name = "reports"

# Mounted under /reviews/ beside the reviews app's pages (alignment/urls.py).
urlpatterns = [
    path("<int:pk>/report/", views.report_print, name="report-print"),
    path("<int:pk>/report/teams/<int:part>/", views.report_part, name="report-part"),
    path("<int:pk>/report.csv", views.report_csv, name="report-csv"),
    path("<int:pk>/reports/<fmt>/", views.report_request, name="report-request"),
    path("reports/<int:pk>/download/", views.report_download, name="report-download"),
    path("signals.csv", views.signals_csv, name="signals-csv"),
    path("<int:pk>/reports/", views.report_status, name="report-status"),
]
