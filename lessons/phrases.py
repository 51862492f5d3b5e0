"""Reads of phrase exercises: a unit's phrases, a phrase with its signs in order and their tutorials."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet

from .models import Phrase, PhraseSign, Sign, TutorialVideo


@dataclass
class PhraseStep:
    """One sign of a phrase as its tutorial shows it: the clip to play (None without a video)."""

    position: int
    sign: Sign
    tutorial: TutorialVideo | None


def phrases_with_signs() -> QuerySet[Phrase]:
    """Phrases with their items (in position order) and signs prefetched: two more queries in all."""
    return Phrase.objects.select_related("unit").prefetch_related(
        Prefetch("items", queryset=PhraseSign.objects.select_related("sign").order_by("position"))
    )


def phrase_sign_names(*, phrase: Phrase) -> list[str]:
    """The signs to grade, in signing order (from prefetched items where there are some)."""
    return [item.sign.name for item in phrase.items.all()]


def phrase_get(*, slug: str) -> Phrase | None:
    return phrases_with_signs().filter(slug=slug).first()


def phrase_steps(*, phrase: Phrase) -> list[PhraseStep]:
    """Each sign with the tutorial to play back to back: the best-recognised clip of the sign."""
    items = list(phrase.items.all())
    sign_ids = {item.sign_id for item in items}
    best: dict[int, TutorialVideo] = {}
    tutorials = (
        TutorialVideo.objects.filter(sign_id__in=sign_ids)
        .exclude(qa_status=TutorialVideo.QAStatus.FAILED)
        .order_by(F("qa_rank").asc(nulls_last=True), "id")
    )
    for tutorial in tutorials:
        best.setdefault(tutorial.sign_id, tutorial)
    return [PhraseStep(position=i.position, sign=i.sign, tutorial=best.get(i.sign_id)) for i in items]
