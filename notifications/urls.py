from django.urls import path

from notifications import views

app_name = "notifications"

# Mounted under /reviews/ beside the reviews app's pages (alignment/urls.py).
urlpatterns = [
    path("operations/", views.operations, name="operations"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
]
