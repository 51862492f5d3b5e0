from .selectors import learner_active


def active_learner(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    learner = request.active_learner if hasattr(request, "active_learner") else learner_active(user=user)
    return {"active_learner": learner, "learners": list(user.learners.all())}
