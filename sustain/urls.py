from django.urls import path

from sustain import views

app_name = "sustain"

# Mounted under /reviews/ beside the reviews app's pages (alignment/urls.py).
urlpatterns = [
    path("signals/", views.signals, name="signals"),
    path("signals/settings/", views.signal_settings_edit, name="signal-settings-edit"),
]
