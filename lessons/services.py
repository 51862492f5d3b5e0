"""Writes for the curriculum: loading the course and importing tutorial clips."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.db.models import F, Max

from .models import Course, Lesson, Phrase, PhraseSign, Sign, TutorialVideo, Unit
from .signals import tutorial_check_requested

DATA_DIR = Path(__file__).resolve().parent / "data"
CLIP_NAME = re.compile(r"^(?P<index>\d+)_(?P<sign>.+)_(?P<n>\d+)\.(mp4|webm|mov|mkv)$", re.IGNORECASE)


@dataclass
class CurriculumLoadResult:
    signs: int
    units: int
    lessons: int
    phrases: int = 0


@transaction.atomic
def curriculum_load(*, data_dir: Path = DATA_DIR) -> CurriculumLoadResult:
    """Create or update the course from data files; safe to run on every start (idempotent).

    Sign rows are keyed by their ISLR index, units and lessons by slug, so re-running updates titles
    and ordering without touching progress that points at them.
    """
    sign_names: list[str] = json.loads((data_dir / "signs.json").read_text(encoding="utf-8"))
    curriculum = json.loads((data_dir / "curriculum.json").read_text(encoding="utf-8"))
    descriptions: dict[str, str] = curriculum.get("descriptions", {})
    for index, name in enumerate(sign_names):
        Sign.objects.update_or_create(index=index, defaults={"name": name})

    course_data = curriculum["course"]
    course, _ = Course.objects.update_or_create(
        slug=course_data["slug"],
        defaults={"title": course_data["title"], "description": course_data.get("description", "")},
    )
    signs_by_name = {sign.name: sign for sign in Sign.objects.all()}
    # Free the order slots first so re-ordering never trips the unique (parent, order) constraints.
    Unit.objects.filter(course=course).update(order=F("order") + 100_000)
    Lesson.objects.filter(unit__course=course).update(order=F("order") + 100_000)
    n_lessons = 0
    for unit_order, unit_data in enumerate(curriculum["units"], start=1):
        unit, _ = Unit.objects.update_or_create(
            slug=unit_data["slug"],
            defaults={
                "course": course,
                "title": unit_data["title"],
                "description": unit_data.get("description", ""),
                "order": unit_order,
            },
        )
        for lesson_order, lesson_data in enumerate(unit_data["lessons"], start=1):
            lesson, _ = Lesson.objects.update_or_create(
                slug=lesson_data["slug"],
                defaults={"unit": unit, "title": lesson_data["title"], "order": lesson_order},
            )
            n_lessons += 1
            for sign_order, name in enumerate(lesson_data["signs"], start=1):
                sign = signs_by_name[name]
                sign.lesson, sign.order = lesson, sign_order
                if not sign.description:
                    sign.description = descriptions.get(name, "")
                sign.save(update_fields=["lesson", "order", "description"])
    n_phrases = sum(
        _phrases_load(unit=Unit.objects.get(slug=unit_data["slug"]), phrases=unit_data.get("phrases", []))
        for unit_data in curriculum["units"]
    )
    return CurriculumLoadResult(
        signs=len(sign_names), units=len(curriculum["units"]), lessons=n_lessons, phrases=n_phrases
    )


def _phrases_load(*, unit: Unit, phrases: list[dict]) -> int:
    """The unit's phrases from the data file, in order; phrases an admin added stay (after them)."""
    slugs = [data["slug"] for data in phrases]
    Phrase.objects.filter(slug__in=slugs).update(order=F("order") + 100_000)
    # An admin's phrase in a slot the data file needs moves to the end of its unit.
    taken = Phrase.objects.filter(unit=unit, order__lte=len(phrases)).exclude(slug__in=slugs)
    for phrase in taken:
        others = Phrase.objects.filter(unit=unit).exclude(slug__in=slugs)
        last = others.aggregate(last=Max("order"))["last"] or 0
        phrase.order = max(last, len(phrases)) + 1
        phrase.save(update_fields=["order"])
    signs = {
        sign.name: sign for sign in Sign.objects.filter(name__in={n for d in phrases for n in d["signs"]})
    }
    for order, data in enumerate(phrases, start=1):
        phrase, _ = Phrase.objects.update_or_create(
            slug=data["slug"],
            defaults={"unit": unit, "order": order, "gloss": data["gloss"], "meaning": data["meaning"]},
        )
        for position, name in enumerate(data["signs"], start=1):
            PhraseSign.objects.update_or_create(
                phrase=phrase, position=position, defaults={"sign": signs[name]}
            )
        PhraseSign.objects.filter(phrase=phrase, position__gt=len(data["signs"])).delete()
    return len(phrases)


@dataclass
class TutorialImportResult:
    created: int
    skipped: int
    rejected: list[tuple[str, str]]


def tutorial_create(*, sign: Sign, file: File, title: str = "", source: str = "") -> TutorialVideo:
    """Store a validated tutorial clip and queue its quality check once the row is committed."""
    return tutorial_file_save(tutorial=TutorialVideo(sign=sign, title=title, source=source), file=file)


def tutorial_file_save(*, tutorial: TutorialVideo, file: File) -> TutorialVideo:
    """Store a validated clip on a new or existing tutorial (the admin's upload and replacement, the
    folder import), measure it, and queue its quality check, pending until then, once committed."""
    from ml.video import probe_video

    tutorial.file.save(Path(file.name).name, file, save=False)
    info = probe_video(Path(tutorial.file.path))
    tutorial.duration_s, tutorial.width, tutorial.height = info.duration_s, info.width, info.height
    tutorial.qa_status = TutorialVideo.QAStatus.PENDING
    tutorial.save()
    tutorial_queue_check(tutorial=tutorial)
    return tutorial


def tutorial_queue_check(*, tutorial: TutorialVideo) -> None:
    """Ask for the recognition check of a tutorial: practice's receiver queues it after commit."""
    tutorial_check_requested.send(sender=TutorialVideo, tutorial=tutorial)


def tutorial_import_folder(*, folder: Path) -> TutorialImportResult:
    """Import clips named `<index>_<sign>_<n>.mp4` as tutorials; already imported files are skipped."""
    from .validators import clip_problem

    result = TutorialImportResult(created=0, skipped=0, rejected=[])
    signs = {sign.index: sign for sign in Sign.objects.all()}
    for path in sorted(folder.iterdir()):
        match = CLIP_NAME.match(path.name)
        if not match:
            continue
        sign = signs.get(int(match["index"]))
        if sign is None or sign.name != match["sign"]:
            result.rejected.append((path.name, "index and sign name do not match the vocabulary"))
            continue
        if TutorialVideo.objects.filter(source=path.name).exists():
            result.skipped += 1
            continue
        problem = clip_problem(path)
        if problem:
            result.rejected.append((path.name, problem[1]))
            continue
        with transaction.atomic(), path.open("rb") as fh:
            tutorial_create(
                sign=sign,
                file=File(fh, name=path.name),
                title=f"{sign.label} ({match['n']})",
                source=path.name,
            )
        result.created += 1
    return result
