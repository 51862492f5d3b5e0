"""The shipped configuration (ml/models/configuration.json) round trip: register every member with its
input aspect and adapter, activate them as one configuration, grade real clips with it."""

from fractions import Fraction
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import shared_clip
from lessons.models import Sign
from ml.configuration import read_configuration
from practice.models import Attempt
from registry.models import ActiveConfiguration, ModelVersion
from registry.selectors import active_predictor, model_version_classifier, predictor_cache_clear
from registry.services.versions import model_version_register_shipped
from registry.tests.conftest import _fresh_predictor_cache  # noqa: F401  (autouse, as in registry/tests)

SHIPPED = Path(__file__).resolve().parents[2] / "ml" / "models"


def mirrored_mp4(source: Path, out: Path) -> Path:
    """The clip flipped left/right, as a left-handed parent would sign it (H.264, same frame rate)."""
    import av

    from ml.conditions import MIRRORED, condition_video
    from ml.video import read_video

    video = condition_video(read_video(source), MIRRORED)
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        for frame in video.frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return out


def grade(learner, sign: str, clip: Path) -> Attempt:
    from practice.grading import attempt_grade
    from practice.services import attempt_create

    upload = SimpleUploadedFile(clip.name, clip.read_bytes())
    attempt = attempt_create(learner=learner, sign=Sign.objects.get(name=sign), video=upload)
    return attempt_grade(attempt_id=attempt.pk)


@pytest.fixture
def shipped(curriculum, settings):
    settings.SIGNLEARN_MODEL_DIR = SHIPPED
    predictor_cache_clear()
    yield read_configuration(SHIPPED)
    predictor_cache_clear()


def test_the_shipped_configuration_is_registered_activated_and_grades_real_clips(shipped, hamlet, tmp_path):
    before = active_predictor().version  # what grades while the registry is empty

    registration = model_version_register_shipped()

    assert registration.activated
    assert len(registration.members) == len(shipped.members) > 1
    configuration = ActiveConfiguration.objects.get(is_active=True)
    assert configuration.combine == shipped.combine
    assert configuration.label == before == active_predictor().version  # results name the same models
    for (mv, weight), member in zip(registration.members, shipped.members, strict=True):
        assert (mv.source, mv.status, weight) == (
            ModelVersion.Source.SHIPPED,
            ModelVersion.Status.ACTIVE,
            1.0,
        )
        assert mv.input_aspect == member.input_aspect
        classifier = model_version_classifier(model_version=mv)
        assert classifier.adapter.name == (member.adapter or "kaggle")  # read back from the stored card
        assert classifier.test_time_mirror == member.test_time_mirror
    assert {mv.card.get("adapter") for mv, _ in registration.members} >= {"sentisign-66"}

    again = model_version_register_shipped()  # every start: nothing new
    assert not again.activated and ActiveConfiguration.objects.count() == 1

    tv = shared_clip("0_TV_1.mp4")
    attempt = grade(hamlet, "TV", tv)
    assert attempt.status == Attempt.Status.GRADED, attempt.failure_detail
    assert attempt.result.model_version == configuration.label
    assert attempt.result.rank == 1  # measured: the configuration ranks TV first on this clip

    mirrored = grade(hamlet, "TV", mirrored_mp4(tv, tmp_path / "tv-mirrored.mp4"))
    assert mirrored.status == Attempt.Status.GRADED, mirrored.failure_detail
    assert mirrored.result.rank == attempt.result.rank  # a left-handed parent is graded alike
