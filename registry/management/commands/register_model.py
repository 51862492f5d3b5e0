from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml.inference import ModelValidationError
from registry.models import ModelVersion
from registry.services.evaluation import evaluation_run_queue
from registry.services.versions import model_version_register


class Command(BaseCommand):
    help = (
        "Validate and register a Kaggle-contract .tflite as a candidate (label map next to it unless given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("model", type=Path, help="model.tflite")
        parser.add_argument("--labels", type=Path, default=None, help="sign -> index JSON")
        parser.add_argument(  # not --version: Django's own option prints its version
            "--model-version", default="", help="version name (default: from the card, or name-sha)"
        )
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--input-aspect",
            type=float,
            default=None,
            help="width / height of the video the model learnt from (Kaggle ISLR phones: 0.5625)",
        )

    def handle(self, *args, **options):
        try:
            mv = model_version_register(
                model_path=options["model"],
                labels_path=options["labels"],
                version=options["model_version"],
                name=options["name"],
                source=ModelVersion.Source.UPLOADED,
                input_aspect=options["input_aspect"],
            )
        except ModelValidationError as exc:
            raise CommandError(f"rejected: {exc.message}") from exc
        run = evaluation_run_queue(model_version=mv)
        queued = "; evaluation queued" if run else "; no evaluation set yet"
        self.stdout.write(f"{mv.version} ({mv.get_status_display()}, sha256 {mv.sha256[:12]}){queued}")
