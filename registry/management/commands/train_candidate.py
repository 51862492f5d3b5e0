import argparse

from django.core.management.base import BaseCommand, CommandError

from registry.models import TrainingRun
from registry.services.retraining import DEFAULT_TRAIN_PARAMS, training_run_execute, training_run_start


class Command(BaseCommand):
    help = (
        "Retrain on the exported tutorials and consented attempts, export the TFLite, evaluate it on the "
        "gate and register it as a candidate. Runs here (TensorFlow from .venv-train) unless --queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="hand it to the `trainer` Celery worker")
        parser.add_argument("--split", choices=("holdout", "all"), default=DEFAULT_TRAIN_PARAMS["split"])
        parser.add_argument("--epochs", type=int, default=DEFAULT_TRAIN_PARAMS["epochs"])
        parser.add_argument("--dim", type=int, default=None, help="embedding width (tiny: 32)")
        parser.add_argument("--blocks", type=int, default=None)
        parser.add_argument("--frames", type=int, default=None)
        parser.add_argument("--repeats", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--patience", type=int, default=None)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--quantize", choices=("none", "float16", "dynamic"), default="none")
        parser.add_argument("--teacher", default=None, help="version of a registered model to distil from")
        parser.add_argument("--distill", type=float, default=DEFAULT_TRAIN_PARAMS["distill"])
        parser.add_argument("--recombined", type=int, default=DEFAULT_TRAIN_PARAMS["recombined"])
        parser.add_argument("--teacher-aspect", type=float, default=None, help="Kaggle phone video: 0.5625")
        parser.add_argument(
            "--consistent",
            action=argparse.BooleanOptionalAction,
            default=DEFAULT_TRAIN_PARAMS["consistent"],
            help="the teacher scores every augmented variant (default), or only clean clips",
        )

    def handle(self, *args, **options):
        params = {key: options[key] for key in DEFAULT_TRAIN_PARAMS}
        try:  # the service's checks, as for the admin's form
            run = training_run_start(params=params, queue=options["queue"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["queue"]:
            self.stdout.write(f"training run {run.pk} queued for the trainer worker")
            return
        run = training_run_execute(training_run_id=run.pk)
        if run.status != TrainingRun.Status.SUCCEEDED:
            self.stderr.write(run.log[-3000:])
            raise SystemExit(f"training run {run.pk} failed: {run.error}")
        self.stdout.write(
            f"training run {run.pk}: registered candidate {run.result.version} ({run.result.metrics})"
        )
