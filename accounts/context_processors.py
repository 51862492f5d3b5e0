from .selectors import request_learner


def active_learner(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"active_learner": request_learner(request), "learners": list(user.learners.all())}
