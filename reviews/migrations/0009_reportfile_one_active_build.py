"""One active build per cycle and format: the older of two queued or running builds (two
requests that raced before this constraint) are marked failed, the newest kept."""

from django.db import migrations, models

ACTIVE = ["pending", "running"]


def fail_duplicate_builds(apps, schema_editor):
    ReportFile = apps.get_model("reviews", "ReportFile")
    seen = set()
    for report in ReportFile.objects.filter(state__in=ACTIVE).order_by("-created_at", "-pk"):
        key = (report.cycle_id, report.format)
        if key in seen:
            report.state = "failed"
            report.error = "Superseded by a newer build of the same report."
            report.save(update_fields=["state", "error"])
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0008_live_scores"),
    ]

    operations = [
        migrations.RunPython(fail_duplicate_builds, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reportfile",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ACTIVE)),
                fields=("cycle", "format"),
                name="reportfile_one_active_build",
            ),
        ),
    ]
