"""Per-request settings that follow the selected learner."""

from django.utils import timezone

from .selectors import learner_active


class LearnerTimeZoneMiddleware:
    """Show every time in the selected learner's time zone: an evening practice in New York is
    "Wed 21:11", not "Thu 02:11" (UTC). Pages reuse the learner it looked up (`request.active_learner`, via `accounts.current.learner_for_page`).
    API requests authenticate later, in DRF, and answer with ISO times that carry their offset."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        learner = learner_active(user=user) if user is not None and user.is_authenticated else None
        request.active_learner = learner
        if learner is not None:
            timezone.activate(learner.tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
