from .selectors import learner_active


def active_learner(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"active_learner": learner_active(user=user), "learners": list(user.learners.all())}
