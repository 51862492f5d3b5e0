import json

from lessons.models import Course, Lesson, Sign, Unit
from lessons.services import DATA_DIR, curriculum_load


def test_curriculum_holds_all_250_signs_in_index_order(curriculum):
    names = json.loads((DATA_DIR / "signs.json").read_text(encoding="utf-8"))
    assert Sign.objects.count() == 250
    assert list(Sign.objects.order_by("index").values_list("name", flat=True)) == names
    assert Sign.objects.filter(lesson__isnull=True).count() == 0


def test_every_lesson_has_five_to_ten_signs(curriculum):
    sizes = [lesson.signs.count() for lesson in Lesson.objects.all()]
    assert sizes and min(sizes) >= 5 and max(sizes) <= 10


def test_first_unit_starts_with_greetings_for_parents(curriculum):
    first_lesson = Lesson.objects.order_by("unit__order", "order").first()
    assert first_lesson.unit.order == 1
    assert "hello" in first_lesson.signs.values_list("name", flat=True)


def test_loading_twice_changes_nothing(curriculum):
    before = (Course.objects.count(), Unit.objects.count(), Lesson.objects.count(), Sign.objects.count())
    ids = dict(Sign.objects.values_list("name", "id"))
    result = curriculum_load()
    assert (
        Course.objects.count(),
        Unit.objects.count(),
        Lesson.objects.count(),
        Sign.objects.count(),
    ) == before
    assert dict(Sign.objects.values_list("name", "id")) == ids
    assert result.signs == 250


def test_reload_keeps_an_admin_edited_description(curriculum):
    Sign.objects.filter(name="milk").update(description="Our family's word for milk.")
    curriculum_load()
    assert Sign.objects.get(name="milk").description == "Our family's word for milk."
