"""Create a demo account with a 30-day practice history (for screenshots, the README and benchmarks)."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_signup
from lessons.models import Sign
from progress.demo import demo_history_create, demo_thumbnails_render


class Command(BaseCommand):
    help = "Create a demo account whose learner has a seeded practice history."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", help="Default: a random one, printed once.")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--time-zone", default="Europe/London")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--thumbnails", type=int, default=0, help="Render skeleton thumbnails for the N latest attempts."
        )

    def handle(self, *args, username, password, days, time_zone, seed, thumbnails, **options):
        if not Sign.objects.filter(lesson__isnull=False).exists():
            raise CommandError("Load the curriculum first: manage.py load_curriculum")
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} exists already; pick another --username.")
        password = password or secrets.token_urlsafe(12)
        learner = user_signup(
            username=username,
            email=f"{username}@example.org",
            password=password,
            display_name="Sam",
            time_zone=time_zone,
        )
        history = demo_history_create(learner=learner, days=days, seed=seed)
        rendered = 0
        if thumbnails:
            rendered = demo_thumbnails_render(
                learner=learner, clips_dir=settings.SIGNLEARN_ISLR_DIR / "videos", limit=thumbnails
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {username} / {password}: {history.attempts} attempts on {history.active_days} days, "
                f"{rendered} thumbnails."
            )
        )
