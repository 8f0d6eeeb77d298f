from django.urls import path

from twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("code/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("setup/qr.svg", views.qr, name="qr"),
    path("recovery-codes/", views.recovery, name="recovery"),
    path("turn-off/", views.disable, name="disable"),
]
