from django.core.management.base import BaseCommand, CommandError

from ml.inference import ModelValidationError
from registry.services import evaluation_run_queue, model_version_register_shipped


class Command(BaseCommand):
    help = (
        "Register the shipped model (SIGNLEARN_MODEL_DIR) and activate it when nothing is active. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="only register it")

    def handle(self, *args, **options):
        try:
            mv = model_version_register_shipped(activate_if_none=not options["no_activate"])
        except (ModelValidationError, FileNotFoundError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        if not mv.evaluations.exists():
            evaluation_run_queue(model_version=mv)
        self.stdout.write(f"{mv.version} ({mv.get_status_display()}, sha256 {mv.sha256[:12]})")
