from django.core.management.base import BaseCommand, CommandError

from registry.services.evaluation import evaluation_set_build_and_queue


class Command(BaseCommand):
    help = "Freeze the tutorials marked 'evaluation' (with landmarks) into a new numbered evaluation set."

    def handle(self, *args, **options):
        try:
            evaluation_set, queued = evaluation_set_build_and_queue()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"evaluation set v{evaluation_set.version}: {evaluation_set.n_sequences} sequences, "
            f"{evaluation_set.n_signs} signs ({evaluation_set.directory})"
        )
        if queued:
            self.stdout.write("evaluation queued for the active " + ", ".join(m.version for m in queued))
