from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lessons.services import tutorial_import_folder


class Command(BaseCommand):
    help = "Import a folder of clips named <index>_<sign>_<n>.mp4 as tutorial videos (skips ones already imported)."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(settings.SIGNLEARN_ISLR_DIR / "videos"))

    def handle(self, *args, folder: str, **options):
        path = Path(folder)
        if not path.is_dir():
            raise CommandError(f"No such folder: {path}")
        result = tutorial_import_folder(folder=path)
        for name, reason in result.rejected:
            self.stderr.write(f"rejected {name}: {reason}")
        self.stdout.write(
            f"Tutorials: {result.created} imported, {result.skipped} already there, {len(result.rejected)} rejected."
        )
