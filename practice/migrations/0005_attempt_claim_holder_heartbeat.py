from django.db import migrations, models
from django.db.models import F


def heartbeat_from_start(apps, schema_editor):
    """A claim taken before heartbeats existed counts as alive since it started."""
    Attempt = apps.get_model("practice", "Attempt")
    Attempt.objects.filter(status="processing").update(heartbeat_at=F("started_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0004_phrase_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="worker",
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name="attempt",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(heartbeat_from_start, migrations.RunPython.noop),
    ]
