from django.core.management.base import BaseCommand, CommandError

from ml.configuration import ConfigurationError
from ml.inference import ModelValidationError
from registry.services.versions import model_version_register_shipped


class Command(BaseCommand):
    help = "Register the shipped configuration (SIGNLEARN_MODEL_DIR: its model, or every member of its configuration.json), evaluate members never evaluated, and activate it when nothing is active. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="only register it")

    def handle(self, *args, **options):
        try:
            shipped = model_version_register_shipped(
                activate_if_none=not options["no_activate"], evaluate_new=True
            )
        except (ModelValidationError, ConfigurationError, FileNotFoundError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        for mv, weight in shipped.members:
            self.stdout.write(
                f"{mv.version} (weight {weight:g}, {mv.get_status_display()}, sha256 {mv.sha256[:12]})"
            )
        if shipped.activated and len(shipped.members) > 1:
            self.stdout.write(f"activated as one configuration ({shipped.combine} of {len(shipped.members)})")
