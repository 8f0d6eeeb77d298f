from django.contrib.auth.management import create_permissions
from django.db import migrations

# The Admin role runs the Django admin: people, teams and memberships, and reads the rest.
MANAGED = [("auth", "user"), ("alignment", "unit"), ("alignment", "membership")]
READ_ONLY = [
    ("auth", "group"),
    ("alignment", "strategicposition"),
    ("alignment", "objective"),
    ("alignment", "commitment"),
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_label in ("auth", "alignment"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # the migration state's stub has none; the check needs one
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.get(name="Admin")
    for app_label, model in MANAGED + READ_ONLY:
        actions = (
            ("add", "change", "delete", "view") if (app_label, model) in MANAGED else ("view",)
        )
        admin.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("alignment", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
