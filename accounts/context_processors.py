from .current import learner_for_page


def active_learner(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"active_learner": learner_for_page(request), "learners": list(user.learners.all())}
