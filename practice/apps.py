from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice attempts"

    def ready(self):
        # Seam: retraining in the registry (below practice, which it never imports) exports practice
        # data before it trains; it finds this exporter through registry.training_data.
        from registry.training_data import training_data_exporter_set

        from .export import training_data_export

        training_data_exporter_set(exporter=training_data_export)
