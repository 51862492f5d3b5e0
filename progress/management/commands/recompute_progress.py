"""Rebuild all derived progress (XP, streaks, sign records, review cards, badges) from the history."""

from django.core.management.base import BaseCommand

from accounts.models import Learner
from progress.services import progress_recompute


class Command(BaseCommand):
    help = "Recompute every learner's progress from their graded attempts (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--learner", type=int, action="append", help="Only these learner ids.")

    def handle(self, *args, learner=None, **options):
        learners = Learner.objects.order_by("id")
        if learner:
            learners = learners.filter(pk__in=learner)
        n = 0
        for each in learners.iterator():
            progress = progress_recompute(learner=each)
            n += 1
            if options["verbosity"] > 1:
                self.stdout.write(f"{each}: {progress.xp_total} XP, streak {progress.streak_current}")
        self.stdout.write(self.style.SUCCESS(f"Recomputed progress of {n} learner(s)."))
