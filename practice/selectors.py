"""Reads for practice: who may see an attempt, recent attempts, and the result as pages show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Learner
from lessons.models import Phrase, Sign, TutorialVideo

from .feedback import detection_tips, rank_message
from .models import Attempt

MEDIA_KINDS = ("video", "replay", "thumbnail")
FAMILY_MEDIA_PERMISSION = "practice.view_family_media"
# The replay is rendered just after the grade is stored; pages wait this long for it to appear.
REPLAY_WAIT = timedelta(seconds=60)


def attempt_visible(*, user: AbstractBaseUser, attempt_id: int) -> Attempt | None:
    """The attempt if `user` owns it (any profile of their account) or holds FAMILY_MEDIA_PERMISSION;
    None otherwise. Staff status alone is not enough: a curriculum editor sees no family's clips.

    Views turn None into 404, so another family cannot even learn that the attempt exists.
    """
    if not user.is_authenticated:
        return None
    attempt = (
        Attempt.objects.select_related("sign", "phrase", "learner", "result").filter(pk=attempt_id).first()
    )
    if attempt is None:
        return None
    # The owner first: a family polling its own attempt costs no permission queries.
    if attempt.learner.user_id == user.pk or user.has_perm(FAMILY_MEDIA_PERMISSION):
        return attempt
    return None


def attempts_recent(*, learner: Learner, sign: Sign | None = None, limit: int = 5) -> QuerySet[Attempt]:
    attempts = Attempt.objects.filter(learner=learner).select_related("sign", "result")
    if sign is not None:
        attempts = attempts.filter(sign=sign)
    return attempts.order_by("-created_at", "-id")[:limit]


def phrase_attempts_recent(*, learner: Learner, phrase: Phrase, limit: int = 5) -> QuerySet[Attempt]:
    return (
        Attempt.objects.filter(learner=learner, phrase=phrase)
        .select_related("phrase", "result")
        .order_by("-created_at", "-id")[:limit]
    )


def attempt_media_file(*, attempt: Attempt, kind: str):
    """The stored file of one media kind, or None when there is none (purged, not rendered)."""
    if kind not in MEDIA_KINDS:
        return None
    file = getattr(attempt, kind)
    return file if file else None


@dataclass
class TopRow:
    sign: str
    label: str
    percent: float
    is_target: bool


@dataclass
class PhraseSignRow:
    """One sign of a graded phrase on the clip's timeline (0-1000 units wide, for an SVG)."""

    position: int
    sign: str
    label: str
    found: bool
    rank: int
    start_s: float
    end_s: float
    x: int
    width: int


@dataclass
class AttemptSummary:
    """An attempt as the result panel shows it; plain values so templates stay logic-free."""

    attempt: Attempt
    is_final: bool
    passed: bool | None = None
    rank: int | None = None
    xp: int = 0
    headline: str = ""
    message: str = ""
    top10: list[TopRow] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    detected: list[tuple[str, int]] = field(default_factory=list)  # (part label, percent)
    replay_url: str = ""
    replay_pending: bool = False  # graded a moment ago; the replay is still being rendered
    model_version: str = ""
    phrase_signs: list[PhraseSignRow] = field(default_factory=list)
    timeline_s: float = 0.0  # the clip length the phrase timeline spans

    @property
    def wants_refresh(self) -> bool:
        return not self.is_final or self.replay_pending


def attempt_summary(*, attempt: Attempt) -> AttemptSummary:
    summary = AttemptSummary(
        attempt=attempt, is_final=attempt.status in (Attempt.Status.GRADED, Attempt.Status.FAILED)
    )
    if attempt.status == Attempt.Status.FAILED:
        summary.headline = "We could not grade this clip"
        summary.message = attempt.failure_message
        return summary
    result = getattr(attempt, "result", None) if attempt.status == Attempt.Status.GRADED else None
    if result is None:
        return summary
    summary.passed, summary.rank, summary.xp = result.passed, result.rank, result.xp
    summary.model_version = result.model_version
    summary.headline = "Passed!" if result.passed else "Not yet"
    top_label = _label(result.top10[0]["sign"]) if result.top10 else None
    summary.message = rank_message(result.rank, top_sign_label=top_label)
    summary.top10 = [
        TopRow(
            sign=row["sign"],
            label=_label(row["sign"]),
            percent=round(100 * float(row["score"]), 1),
            is_target=row["sign"] == attempt.sign.name,
        )
        for row in result.top10
    ]
    if attempt.phrase_id is not None:
        _phrase_summary(summary, verdicts=result.signs, duration_s=attempt.duration_s)
    reference = _tutorial_detected(sign=attempt.sign) if attempt.sign_id else None
    summary.tips = detection_tips(result.detected, reference=reference)
    summary.detected = [
        (label, round(100 * float(result.detected.get(part, 0.0))))
        for part, label in (
            ("right_hand", "Right hand"),
            ("left_hand", "Left hand"),
            ("face", "Face"),
            ("pose", "Body"),
        )
    ]
    if attempt.replay:
        summary.replay_url = reverse("attempt-media", args=[attempt.pk, "replay"])
    else:
        summary.replay_pending = (
            bool(attempt.finished_at) and timezone.now() - attempt.finished_at < REPLAY_WAIT
        )
    return summary


TIMELINE_WIDTH = 1000


def _phrase_summary(summary: AttemptSummary, *, verdicts: list[dict], duration_s: float | None) -> None:
    """Each sign's verdict on a timeline of the clip, and a message naming the signs to work on."""
    end = max([duration_s or 0.0, *(v["end_s"] for v in verdicts)]) or 1.0
    summary.timeline_s = end
    summary.phrase_signs = [
        PhraseSignRow(
            position=position,
            sign=v["sign"],
            label=_label(v["sign"]),
            found=v["found"],
            rank=v["rank"],
            start_s=v["start_s"],
            end_s=v["end_s"],
            x=round(TIMELINE_WIDTH * v["start_s"] / end),
            width=max(1, round(TIMELINE_WIDTH * (v["end_s"] - v["start_s"]) / end)),
        )
        for position, v in enumerate(verdicts, start=1)
    ]
    missed = [row.label for row in summary.phrase_signs if not row.found]
    if not missed:
        summary.message = "Every sign was there, in order."
    else:
        found = len(summary.phrase_signs) - len(missed)
        summary.message = (
            f"{found} of {len(summary.phrase_signs)} signs found. Practise "
            + ", ".join(f"“{label}”" for label in missed)
            + " and try the phrase again."
        )


def _tutorial_detected(*, sign: Sign) -> dict | None:
    detected = (
        TutorialVideo.objects.filter(sign=sign, qa_status=TutorialVideo.QAStatus.OK)
        .exclude(qa_detected={})
        .values_list("qa_detected", flat=True)
        .first()
    )
    return detected or None


def _label(name: str) -> str:
    return Sign(name=name).label  # the display rule lives on the model
