from django.db import migrations, models
from django.db.models import Count


def backfill(apps, schema_editor):
    """Existing progress rows: count the signs each learner has attempted."""
    LearnerProgress = apps.get_model("progress", "LearnerProgress")
    SignProgress = apps.get_model("progress", "SignProgress")
    counts = SignProgress.objects.values("learner_id").annotate(n=Count("pk"))
    for row in counts:
        LearnerProgress.objects.filter(learner_id=row["learner_id"]).update(signs_attempted=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0002_weekly_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="learnerprogress",
            name="signs_attempted",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
