import numpy as np
import pytest

from ml.landmarks import HolisticExtractor, Landmarks, extract_video, get_extractor, quiet_native_logs
from ml.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND, ROWS_PER_FRAME

POSE_RIGHT_WRIST = 16  # MediaPipe pose landmark index
HAND_WRIST = 0


def _landmarks_with(parts_per_frame: list[set[str]]) -> Landmarks:
    slices = {"face": FACE, "left_hand": LEFT_HAND, "pose": POSE, "right_hand": RIGHT_HAND}
    data = np.full((len(parts_per_frame), ROWS_PER_FRAME, 3), np.nan, dtype=np.float32)
    for t, parts in enumerate(parts_per_frame):
        for part in parts:
            data[t, slices[part]] = 0.5
    return Landmarks(data=data)


def test_detection_rates_are_the_share_of_frames_with_each_part():
    landmarks = _landmarks_with([{"face", "pose"}, {"face", "pose", "right_hand"}, {"pose"}, set()])

    assert landmarks.n_frames == 4
    assert landmarks.detection_rates() == {"face": 0.5, "left_hand": 0.0, "pose": 0.75, "right_hand": 0.25}


def test_detection_rates_of_no_frames_are_zero():
    landmarks = Landmarks(data=np.empty((0, ROWS_PER_FRAME, 3), dtype=np.float32))

    assert landmarks.detection_rates() == {"face": 0.0, "left_hand": 0.0, "pose": 0.0, "right_hand": 0.0}


def test_extractor_is_built_once_per_process():
    assert get_extractor() is get_extractor()
    assert get_extractor().model_complexity == 1


def test_frames_must_be_rgb_uint8():
    with pytest.raises(ValueError, match="RGB uint8"):
        HolisticExtractor().extract([np.zeros((36, 64), dtype=np.uint8)])


@pytest.mark.slow
def test_real_clip_gives_islr_shaped_landmarks_with_nan_for_missing_parts(tv_video, tv_landmarks):
    data = tv_landmarks.data

    assert data.shape == (tv_video.n_frames, ROWS_PER_FRAME, 3)
    assert data.dtype == np.float32
    assert np.array_equal(tv_landmarks.timestamps_s, tv_video.timestamps_s)
    for part in (FACE, LEFT_HAND, POSE, RIGHT_HAND):  # a part is all there or all NaN, never 0-filled
        missing = np.isnan(data[:, part])
        assert np.all(missing.all(axis=(1, 2)) | ~missing.any(axis=(1, 2)))
    # x, y are normalised to the image: the visible face and hands lie inside it (pose legs may not).
    for part in (FACE, RIGHT_HAND):
        xy = data[:, part, :2][~np.isnan(data[:, part, 0])]
        assert len(xy) and np.all((xy > 0.0) & (xy < 1.0))


@pytest.mark.slow
def test_signing_hand_is_detected_in_most_frames(tv_landmarks):
    rates = tv_landmarks.detection_rates()

    assert rates["face"] == 1.0 and rates["pose"] == 1.0
    assert rates["right_hand"] >= 0.9  # the signer's right hand makes the sign in every frame


@pytest.mark.slow
def test_right_hand_follows_mediapipe_convention_and_matches_the_pose_wrist(tv_landmarks):
    data = tv_landmarks.data
    seen = ~np.isnan(data[:, RIGHT_HAND.start, 0])
    hand_wrist = data[seen, RIGHT_HAND.start + HAND_WRIST, :2]
    pose_wrist = data[seen, POSE.start + POSE_RIGHT_WRIST, :2]

    # The signer faces the camera, so their right hand is on the image's left half.
    assert np.all(hand_wrist[:, 0] < 0.5)
    assert np.median(np.linalg.norm(hand_wrist - pose_wrist, axis=1)) < 0.05


@pytest.mark.slow
def test_second_clip_also_shows_a_hand_in_most_frames(happy_clip):
    with quiet_native_logs():
        landmarks = extract_video(happy_clip, target_fps=10)

    hand = landmarks.part_detected("left_hand") | landmarks.part_detected("right_hand")
    assert landmarks.n_frames == 22  # 65 frames at 29.97 fps subsampled to 10 fps
    assert np.allclose(np.diff(landmarks.timestamps_s), 3 / 29.97)
    assert hand.mean() >= 0.8


@pytest.mark.slow
def test_tracking_state_is_reset_between_videos(tv_video, happy_clip):
    from ml.video import read_video

    happy = read_video(happy_clip).frames[:12]
    tv = tv_video.frames[:12]
    reused = HolisticExtractor()
    with quiet_native_logs():
        reused.extract(tv)
        after_other_video = reused.extract(happy)
        fresh = HolisticExtractor().extract(happy)
        reused.extract(tv)
        reused._used = False  # skip the next reset: the graph keeps tracking from the TV clip
        without_reset = reused.extract(happy)

    assert np.array_equal(after_other_video.data, fresh.data, equal_nan=True)
    assert not np.array_equal(without_reset.data, fresh.data, equal_nan=True)  # the reset matters


def test_no_frames_give_empty_landmarks():
    landmarks = HolisticExtractor().extract([])

    assert landmarks.data.shape == (0, ROWS_PER_FRAME, 3)
