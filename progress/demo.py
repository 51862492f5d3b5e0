"""A believable practice history for demos, screenshots and benchmarks (no worker, no model).

Attempt + AttemptResult rows are written directly and counted by the same progress service the
grading pipeline calls, so the dashboard shows exactly what a real history would produce.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Learner
from lessons.models import Phrase, Sign
from ml.grading import TOP_K
from practice.models import Attempt, AttemptResult
from practice.verdicts import is_pass, phrase_passed

from . import rules
from .services import progress_record_attempt


def demo_attempt_record(
    *,
    learner: Learner,
    sign: Sign,
    rank: int | None,
    at: datetime,
    is_review: bool = False,
    grading_s: float = 4.0,
) -> Attempt:
    """One graded attempt made at `at`, counted towards progress like the grading pipeline does."""
    graded_at = at + timedelta(seconds=grading_s)
    attempt = Attempt.objects.create(
        learner=learner, sign=sign, is_review=is_review, status=Attempt.Status.GRADED, duration_s=3.0
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        created_at=at, queued_at=at, started_at=at, finished_at=graded_at
    )
    attempt.refresh_from_db()
    top10 = [{"sign": sign.name, "index": sign.index, "score": round(0.9 / rank, 4)}] if rank else []
    _demo_result_record(attempt=attempt, rank=rank, top10=top10, graded_at=graded_at)
    return attempt


def demo_phrase_attempt_record(
    *, learner: Learner, phrase: Phrase, ranks: list[int], at: datetime, grading_s: float = 6.0
) -> Attempt:
    """One graded phrase attempt at `at` whose signs got `ranks` (1-250) in their spans, counted."""
    graded_at = at + timedelta(seconds=grading_s)
    attempt = Attempt.objects.create(
        learner=learner, phrase=phrase, status=Attempt.Status.GRADED, duration_s=6.0
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        created_at=at, queued_at=at, started_at=at, finished_at=graded_at
    )
    attempt.refresh_from_db()
    names = [item.sign.name for item in phrase.items.select_related("sign").order_by("position")]
    verdicts = [
        {"sign": name, "found": rank <= TOP_K, "rank": rank, "start_s": i * 1.5, "end_s": i * 1.5 + 1.2}
        for i, (name, rank) in enumerate(zip(names, ranks, strict=True))
    ]
    _demo_result_record(attempt=attempt, rank=None, verdicts=verdicts, graded_at=graded_at)
    return attempt


def _demo_result_record(
    *, attempt: Attempt, rank: int | None, graded_at: datetime, top10=(), verdicts: list[dict] | None = None
) -> None:
    """The attempt's result as grading would store it (verdict, XP), graded at `graded_at`, counted."""
    result = AttemptResult.objects.create(
        attempt=attempt,
        passed=phrase_passed(verdicts) if verdicts is not None else is_pass(rank),
        rank=rank,
        xp=rules.result_xp(rank=rank, verdicts=verdicts),
        top10=list(top10),
        signs=verdicts or [],
        detected={"face": 1.0, "left_hand": 0.7, "pose": 1.0, "right_hand": 0.9},
        n_frames=90,
        model_version="demo",
    )
    AttemptResult.objects.filter(pk=attempt.pk).update(graded_at=graded_at)
    result.refresh_from_db()
    progress_record_attempt(attempt=attempt, result=result)


@dataclass
class DemoHistory:
    attempts: int
    active_days: int


# Rank of an attempt by how often the sign was tried before: beginners miss, practice helps.
RANKS_BY_EXPERIENCE = (
    (None, None, 8, 5, 3, 2, 1),
    (None, 6, 4, 3, 2, 2, 1, 1),
    (None, 4, 3, 2, 1, 1, 1),
)


def demo_history_create(
    *,
    learner: Learner,
    days: int = 30,
    seed: int = 7,
    now: datetime | None = None,
    per_day: tuple[int, int] = (2, 7),
) -> DemoHistory:
    """`days` days of practice ending today in the learner's zone: new signs in course order, repeats,
    reviews of due signs, a few skipped days early on and an unbroken streak at the end."""
    rng = random.Random(seed)
    now = now or timezone.now()
    zone = ZoneInfo(learner.time_zone)
    local_now = now.astimezone(zone)
    # Just after midnight today has no room for practice yet: let the history end yesterday.
    today = local_now.date() - timedelta(days=1 if local_now.hour < 1 else 0)
    course = list(
        Sign.objects.filter(lesson__isnull=False).order_by("lesson__unit__order", "lesson__order", "order")
    )
    tried: dict[int, int] = {}
    frontier = 0
    n_attempts = n_days = 0
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        if offset > 9 and rng.random() < 0.22:
            continue  # a day off (the last ten days form an unbroken streak)
        n_days += 1
        start = datetime.combine(day, time(hour=rng.choice((7, 12, 18, 19, 20))), tzinfo=zone)
        if start > now:
            start = now - timedelta(minutes=30)
        n = rng.randint(*per_day)
        for k in range(n):
            at = start + timedelta(minutes=3 * k + rng.randint(0, 2))
            if at > now:
                break
            if frontier < len(course) and (not tried or rng.random() < 0.45):
                sign = course[frontier]
                frontier += 1
                is_review = False
            else:
                sign = course[rng.randrange(max(frontier, 1))]
                is_review = rng.random() < 0.4
            ranks = RANKS_BY_EXPERIENCE[sign.index % len(RANKS_BY_EXPERIENCE)]
            experience = tried.get(sign.id, 0) + rng.choice((0, 0, 1, 2))
            rank = ranks[min(experience, len(ranks) - 1)]
            demo_attempt_record(learner=learner, sign=sign, rank=rank, at=at, is_review=is_review)
            tried[sign.id] = tried.get(sign.id, 0) + 1
            n_attempts += 1
    return DemoHistory(attempts=n_attempts, active_days=n_days)


def demo_thumbnails_render(*, learner: Learner, clips_dir: Path, limit: int = 4) -> int:
    """Skeleton thumbnails for the latest attempts, from the shared ISLR clip of each attempt's sign.

    Demo attempts have no video; a real clip of the same sign stands in for it (MediaPipe extraction,
    a few seconds per clip). Returns how many thumbnails were rendered.
    """
    import tempfile

    from ml.landmarks import extract_video
    from ml.render import render_thumbnail

    done = 0
    for attempt in (
        Attempt.objects.filter(learner=learner).select_related("sign").order_by("-created_at")[:limit]
    ):
        clips = sorted(clips_dir.glob(f"{attempt.sign.index}_{attempt.sign.name}_*.mp4"))
        if not clips:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp) / "thumbnail.png"
            render_thumbnail(extract_video(clips[0]), png, width=160)
            attempt.thumbnail.save("thumbnail.png", ContentFile(png.read_bytes()), save=True)
        done += 1
    return done
