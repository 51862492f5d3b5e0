from django.core.management.base import BaseCommand, CommandError

from registry.models import ModelVersion
from registry.selectors import evaluation_set_get
from registry.services.evaluation import evaluation_run_execute


class Command(BaseCommand):
    help = (
        "Score a registered model version on the (latest) evaluation set: top-1/top-10 overall and per sign."
    )

    def add_arguments(self, parser):
        parser.add_argument("version", help="ModelVersion.version")
        parser.add_argument("--set", type=int, default=None, help="evaluation set number (default: latest)")
        parser.add_argument("--per-sign", action="store_true", help="print the per-sign table too")

    def handle(self, *args, **options):
        mv = ModelVersion.objects.filter(version=options["version"]).first()
        if mv is None:
            raise CommandError(f"no model version {options['version']!r}")
        evaluation_set = evaluation_set_get(version=options["set"])
        if evaluation_set is None:
            raise CommandError(
                "no evaluation set: mark tutorials as evaluation, then run build_evaluation_set"
            )
        run = evaluation_run_execute(model_version=mv, evaluation_set=evaluation_set)
        self.stdout.write(
            f"{mv.version} on evaluation set v{evaluation_set.version}: n={run.n} "
            f"top-1 {run.top1:.3f} top-10 {run.top10:.3f}"
        )
        if options["per_sign"]:
            for sign, score in sorted(run.per_sign.items()):
                self.stdout.write(
                    f"  {sign:<14} n={score['n']:<3} top-1 {score['top1']:.2f} top-10 {score['top10']:.2f}"
                )
