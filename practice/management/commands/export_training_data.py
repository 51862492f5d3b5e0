from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from practice.export import training_data_export


class Command(BaseCommand):
    help = (
        "Write curated tutorials and consented attempts as a Kaggle ISLR dataset (train.csv + parquet), "
        "landmarks only."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--out", type=Path, required=True, help="an empty or new folder")
        parser.add_argument("--no-tutorials", action="store_true", help="attempts only")

    def handle(self, *args, **options):
        try:
            result = training_data_export(
                out_dir=options["out"], include_tutorials=not options["no_tutorials"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.root}: {result.n_tutorials} tutorial + {result.n_attempts} attempt sequences "
            f"from {result.n_learners} consenting learners"
        )
