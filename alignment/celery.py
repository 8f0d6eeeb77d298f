import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

app = Celery("alignment")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _close_old_connections(**kwargs) -> None:
    # Connections outlive tasks (CELERY_DB_REUSE_MAX): drop one that broke or passed
    # CONN_MAX_AGE before the next task, as Django does before each request.
    from django.db import close_old_connections

    close_old_connections()
