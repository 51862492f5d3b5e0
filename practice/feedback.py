"""Pure rules that turn per-part detection rates into a failure code or plain-language advice.

Detection rates are shares of frames (0..1) in which MediaPipe Holistic found each part. The
thresholds below were chosen on the shared ISLR clips (../shared/islr/videos): in every clip a signer
is seen in all frames (pose 1.0), and the signing hand is found in 40-100 % of frames even for clips
the reference models recognise at rank 1 (106_hat_1: right hand 0.40). One-handed signs leave the
other hand out of view (left hand 0.0 in most clips), so advice about a single hand is given only
when the tutorial clip shows that hand.
"""

from collections.abc import Mapping
from dataclasses import dataclass

# A person is "there" when pose or face is found in at least this share of frames. Below it, the
# clip shows no one (camera covered, empty room, wrong file) and grading it would be noise.
MIN_PERSON_RATE = 0.25
# Signing needs hands: at least one hand must be found in this share of frames. The clips the
# reference models recognise have >= 0.40; 0.15 fails only clips where hands barely appear
# (e.g. 7 of 45 frames), which no model can grade.
MIN_HANDS_RATE = 0.15
# Advice thresholds (the attempt is graded either way).
LOW_PART_RATE = 0.5  # a part seen in fewer frames than this deserves a tip
TUTORIAL_USES_PART = 0.5  # the tutorial "uses" a hand seen in at least this share of its frames

PART_LABELS = {"face": "face", "left_hand": "left hand", "pose": "body", "right_hand": "right hand"}


@dataclass(frozen=True)
class DetectionFailure:
    code: str  # an Attempt.FailureReason value
    detail: str


def detection_failure(rates: Mapping[str, float], *, any_hand_rate: float) -> DetectionFailure | None:
    """The failure for a clip in which we cannot grade signing, or None when it can be graded.

    `any_hand_rate` is the share of frames with at least one hand (not derivable from the per-hand
    rates when the hands alternate).
    """
    person_rate = max(rates.get("pose", 0.0), rates.get("face", 0.0))
    if person_rate < MIN_PERSON_RATE:
        return DetectionFailure(
            "no_person", f"We saw a person in only {_percent(person_rate)} of the frames."
        )
    if any_hand_rate < MIN_HANDS_RATE:
        return DetectionFailure(
            "no_hands", f"We saw your hands in only {_percent(any_hand_rate)} of the frames."
        )
    return None


def detection_tips(rates: Mapping[str, float], *, reference: Mapping[str, float] | None = None) -> list[str]:
    """Plain-language tips from the attempt's detection rates, optionally against the tutorial's.

    Without a reference, hand advice is only about the better-seen hand (one-handed signs keep the
    other hand down, out of view, and that is fine).
    """
    tips: list[str] = []
    if rates.get("pose", 0.0) < LOW_PART_RATE:
        tips.append(
            f"Your body was out of view in {_percent(1 - rates.get('pose', 0.0))} of frames — "
            "sit back so your head, shoulders and hands are in the picture."
        )
    hands = ("left_hand", "right_hand")
    if reference:
        used = [hand for hand in hands if reference.get(hand, 0.0) >= TUTORIAL_USES_PART]
    else:
        used = [max(hands, key=lambda hand: rates.get(hand, 0.0))]
    for hand in used:
        rate = rates.get(hand, 0.0)
        if rate < LOW_PART_RATE:
            tips.append(
                f"Your {PART_LABELS[hand]} was out of view in {_percent(1 - rate)} of frames — "
                "step back or lower the camera so it stays in the picture."
            )
    if rates.get("face", 0.0) < LOW_PART_RATE and rates.get("pose", 0.0) >= LOW_PART_RATE:
        tips.append(
            f"Your face was out of view in {_percent(1 - rates.get('face', 0.0))} of frames — "
            "many signs are made near the face, keep it in the picture."
        )
    return tips


def rank_message(rank: int | None, *, top_sign_label: str | None = None) -> str:
    """One sentence about the outcome, for parents rather than for engineers."""
    if rank == 1:
        return "Spot on: this was the model's first guess."
    if rank is not None and rank <= 3:
        return f"Very close: your sign was the model's number {rank} guess."
    if rank is not None:
        return f"Recognised: your sign was in the model's top 10 (number {rank})."
    guess = f" It looked most like “{top_sign_label}”." if top_sign_label else ""
    return f"Not recognised this time.{guess} Watch the tutorial slowly and try again."


def _percent(share: float) -> str:
    return f"{round(100 * max(0.0, min(1.0, share)))} %"
