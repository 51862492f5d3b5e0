"""The one seam for the grading model: attempts, phrases and tutorial checks all ask here, at call time,
so a test pins a model for all of them in one place (practice/conftest.py: pinned_model)."""


def grading_predictor():
    """The predictor that grades now (registry: active configuration or the shipped model)."""
    from registry.selectors import active_predictor

    return active_predictor()
