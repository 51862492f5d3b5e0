"""The detection rules as a table: which clips fail, and what advice a graded clip gets."""

import pytest

from practice.feedback import detection_failure, detection_tips, rank_message

FULL = {"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 1.0}


@pytest.mark.parametrize(
    ("rates", "any_hand", "code"),
    [
        (FULL, 1.0, None),  # a one-handed sign, seen throughout
        ({"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 0.4}, 0.4, None),  # 106_hat_1
        ({"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 0.15}, 0.15, None),  # at the threshold
        ({"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 0.1}, 0.1, "no_hands"),
        ({"face": 0.9, "left_hand": 0.0, "pose": 0.9, "right_hand": 0.0}, 0.0, "no_hands"),
        ({"face": 0.0, "left_hand": 0.0, "pose": 0.0, "right_hand": 0.0}, 0.0, "no_person"),
        ({"face": 0.2, "left_hand": 0.2, "pose": 0.1, "right_hand": 0.0}, 0.2, "no_person"),
        (
            {"face": 0.0, "left_hand": 0.0, "pose": 0.3, "right_hand": 0.3},
            0.3,
            None,
        ),  # face hidden, body seen
    ],
)
def test_detection_failure_table(rates, any_hand, code):
    failure = detection_failure(rates, any_hand_rate=any_hand)
    assert (failure.code if failure else None) == code


def test_failure_detail_says_how_much_was_seen():
    failure = detection_failure(
        {"face": 1, "pose": 1, "left_hand": 0, "right_hand": 0.07}, any_hand_rate=0.07
    )
    assert failure.detail == "We saw your hands in only 7 % of the frames."


@pytest.mark.parametrize(
    ("rates", "reference", "expected"),
    [
        (FULL, None, []),
        # one-handed sign: the idle left hand is no reason for advice
        ({"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 0.9}, None, []),
        (
            {"face": 1.0, "left_hand": 0.0, "pose": 1.0, "right_hand": 0.3},
            None,
            [
                "Your right hand was out of view in 70 % of frames — step back or lower the camera so it stays in the picture."
            ],
        ),
        # a two-handed tutorial: the missing left hand matters
        (
            {"face": 1.0, "left_hand": 0.2, "pose": 1.0, "right_hand": 1.0},
            {"face": 1.0, "left_hand": 0.95, "pose": 1.0, "right_hand": 1.0},
            [
                "Your left hand was out of view in 80 % of frames — step back or lower the camera so it stays in the picture."
            ],
        ),
        (
            {"face": 0.1, "left_hand": 0.0, "pose": 1.0, "right_hand": 1.0},
            None,
            [
                "Your face was out of view in 90 % of frames — many signs are made near the face, keep it in the picture."
            ],
        ),
        (
            {"face": 0.0, "left_hand": 0.0, "pose": 0.4, "right_hand": 0.8},
            None,
            [
                "Your body was out of view in 60 % of frames — sit back so your head, shoulders and hands are in the picture."
            ],
        ),
    ],
)
def test_detection_tips_table(rates, reference, expected):
    assert detection_tips(rates, reference=reference) == expected


@pytest.mark.parametrize(
    ("rank", "starts"),
    [
        (1, "Spot on"),
        (2, "Very close"),
        (3, "Very close"),
        (4, "Recognised"),
        (10, "Recognised"),
        (None, "Not recognised"),
    ],
)
def test_rank_message(rank, starts):
    assert rank_message(rank, top_sign_label="Dog").startswith(starts)


def test_missed_sign_names_the_models_guess():
    assert "“Dog”" in rank_message(None, top_sign_label="Dog")
