from django.core.management.base import BaseCommand

from lessons.services import curriculum_load


class Command(BaseCommand):
    help = "Create or update the course, units, lessons and the 250 signs from lessons/data/ (idempotent)."

    def handle(self, *args, **options):
        result = curriculum_load()
        self.stdout.write(
            f"Curriculum: {result.signs} signs in {result.units} units, {result.lessons} lessons, "
            f"{result.phrases} phrases."
        )
