from django.urls import path

from notifications import unsubscribe, views

app_name = "notifications"

# Mounted under /reviews/ beside the reviews app's pages (alignment/urls.py).
urlpatterns = [
    path("operations/", views.operations, name="operations"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("digests/<int:pk>/retry/", views.digest_retry, name="digest-retry"),
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/secret/", views.webhook_secret, name="webhook-secret"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("chat/", views.chat_list, name="chat-list"),
    path("chat/new/", views.chat_create, name="chat-create"),
    path("chat/<int:pk>/", views.chat_edit, name="chat-edit"),
    path("chat/<int:pk>/delete/", views.chat_delete, name="chat-delete"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("notifications/preferences/", views.preferences_page, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
