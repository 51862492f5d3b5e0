from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Progress and gamification"

    def ready(self) -> None:
        """Connect progress to the apps below it, which cannot import it:

        - practice.signals.attempt_graded: grading sends it inside the transaction that stores a result;
          progress.services.attempt_graded_receive prices the result in XP and folds the attempt into
          the learner's progress in that same transaction (one commit for result and progress).
        """
        from practice.signals import attempt_graded

        from .services import attempt_graded_receive

        attempt_graded.connect(attempt_graded_receive, dispatch_uid="progress-attempt-graded")
