from .selectors import account_review_due_count


def review_due(request):
    """Due review count for the navigation bar (one query per page for signed-in users)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    due = getattr(request, "progress_due_count", None)  # set by views that counted already
    return {"review_due_count": due if due is not None else account_review_due_count(user=user)}
