"""Deliveries, notifications, report files and downloads, and the signal settings (with
their history) move to the notifications, reports and sustain apps; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0010_stored_signal_board"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="delivery",
                    name="cycle",
                ),
                migrations.RemoveField(
                    model_name="delivery",
                    name="recipient",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="delivery",
                ),
                migrations.RemoveField(
                    model_name="historicalsignalsettings",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="reportdownload",
                    name="cycle",
                ),
                migrations.RemoveField(
                    model_name="reportdownload",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="reportfile",
                    name="cycle",
                ),
                migrations.RemoveField(
                    model_name="reportfile",
                    name="requested_by",
                ),
                migrations.DeleteModel(
                    name="SignalSettings",
                ),
                migrations.DeleteModel(
                    name="StoredBoard",
                ),
                migrations.DeleteModel(
                    name="StoredSignal",
                ),
                migrations.DeleteModel(
                    name="Delivery",
                ),
                migrations.DeleteModel(
                    name="HistoricalSignalSettings",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="ReportDownload",
                ),
                migrations.DeleteModel(
                    name="ReportFile",
                ),
            ],
        ),
    ]
