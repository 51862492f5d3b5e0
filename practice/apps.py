from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice attempts"

    def ready(self) -> None:
        """Connect practice to the apps below it, which cannot import it:

        - lessons.signals.tutorial_check_requested: a tutorial saved in lessons is checked by practice's
          pipeline (practice.receivers.tutorial_check_requested_receive queues the check after commit).
        - accounts.signals.learner_data: deleting a learner profile or an account counts the learners'
          attempts and deletes their files after commit (practice.receivers.learner_data_receive); the
          attempt rows go with the learners by FK cascade.
        - registry.training_data: retraining in the registry exports practice data before it trains;
          it finds practice's exporter there.
        """
        from accounts.signals import learner_data
        from lessons.signals import tutorial_check_requested
        from registry.training_data import training_data_exporter_set

        from .export import training_data_export
        from .receivers import learner_data_receive, tutorial_check_requested_receive

        learner_data.connect(learner_data_receive, dispatch_uid="practice-learner-data")
        tutorial_check_requested.connect(
            tutorial_check_requested_receive, dispatch_uid="practice-tutorial-check"
        )
        training_data_exporter_set(exporter=training_data_export)
