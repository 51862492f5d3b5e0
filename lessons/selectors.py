"""Reads of the curriculum (a learner's lesson states on it are progress's: progress.course)."""

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from .models import Course, Sign, TutorialVideo


def taught_sign_ids() -> set[int]:
    """Signs with at least one tutorial video: the ones a lesson can teach (progress.rules.required_signs)."""
    return set(TutorialVideo.objects.values_list("sign_id", flat=True).distinct())


def course_get() -> Course | None:
    return Course.objects.order_by("id").first()


def sign_list(*, query: str = "", unit_slug: str = "", with_video: bool | None = None) -> QuerySet[Sign]:
    """Signs for the explorer, alphabetical, with how many tutorial videos each has."""
    signs = (
        Sign.objects.select_related("lesson__unit")
        .annotate(n_videos=Count("tutorials", distinct=True))
        .order_by(Lower("name"), "name")  # "TV" among the t's, not before "a"
    )
    if query:
        signs = signs.filter(Q(name__icontains=query.replace(" ", "")) | Q(description__icontains=query))
    if unit_slug:
        signs = signs.filter(lesson__unit__slug=unit_slug)
    if with_video is True:
        signs = signs.filter(n_videos__gt=0)
    elif with_video is False:
        signs = signs.filter(n_videos=0)
    return signs
