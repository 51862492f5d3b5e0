from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lessons.models import TutorialVideo
from lessons.services import tutorial_import_folder


class Command(BaseCommand):
    help = (
        "Import a folder of clips named <index>_<sign>_<n>.mp4 as tutorial videos (skips ones already "
        "imported). Each is checked by the worker in the background, on the `tutorials` queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(settings.SIGNLEARN_ISLR_DIR / "videos"))
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="first start (make run): import only while there are no tutorials, and only if the "
            "folder exists; otherwise say why and do nothing",
        )

    def handle(self, *args, folder: str, if_empty: bool, **options):
        path = Path(folder)
        if if_empty and TutorialVideo.objects.exists():
            self.stdout.write("Tutorials: already imported; add more in the admin or with import_tutorials.")
            return
        if not path.is_dir():
            if if_empty:
                self.stdout.write(
                    f"Tutorials: no clips at {path}; add them in the admin or with import_tutorials."
                )
                return
            raise CommandError(f"No such folder: {path}")
        result = tutorial_import_folder(folder=path)
        for name, reason in result.rejected:
            self.stderr.write(f"rejected {name}: {reason}")
        self.stdout.write(
            f"Tutorials: {result.created} imported, {result.skipped} already there, {len(result.rejected)} rejected."
        )
