import numpy as np
import pytest

from ml.ensemble import (
    Ensemble,
    align_probabilities,
    combine_probabilities,
    score_probabilities,
    target_ranks,
)


def test_weighted_mean_of_two_models():
    a = np.array([0.7, 0.2, 0.1])
    b = np.array([0.1, 0.6, 0.3])
    combined = combine_probabilities([a, b], [3, 1], "mean")
    np.testing.assert_allclose(combined, [0.55, 0.3, 0.15], rtol=1e-6)


def test_product_rewards_the_sign_both_models_agree_on():
    # Mean picks sign 0 (one model is very sure); the product picks sign 1 (both give it 0.4).
    a = np.array([0.9, 0.1, 0.0])
    b = np.array([0.0, 0.4, 0.6])
    assert combine_probabilities([a, b], [1, 1], "mean").argmax() == 0
    product = combine_probabilities([a, b], [1, 1], "product")
    expected = np.sqrt(np.clip(a, 1e-12, None) * np.clip(b, 1e-12, None))
    np.testing.assert_allclose(product, expected / expected.sum(), rtol=1e-5)
    assert product.argmax() == 1
    assert product.sum() == pytest.approx(1.0, abs=1e-6)


def test_single_member_is_unchanged_and_rows_are_combined_independently():
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    np.testing.assert_allclose(combine_probabilities([probs], [2.0], "mean"), probs, rtol=1e-6)
    np.testing.assert_allclose(combine_probabilities([probs], [1.0], "product"), probs, rtol=1e-5)


@pytest.mark.parametrize(
    "weights, mode, message",
    [([1], "mean", "2 members but 1 weights"), ([0, 0], "mean", "positive sum"), ([1, 1], "max", "unknown")],
)
def test_bad_configurations_are_refused(weights, mode, message):
    with pytest.raises(ValueError, match=message):
        combine_probabilities([np.ones(3) / 3, np.ones(3) / 3], weights, mode)


def test_align_reorders_by_sign_name():
    probs = np.array([0.1, 0.7, 0.2])
    aligned = align_probabilities(probs, ["b", "c", "a"], ["a", "b", "c"])
    np.testing.assert_allclose(aligned, [0.2, 0.1, 0.7])
    with pytest.raises(ValueError, match="no score for 1 signs"):
        align_probabilities(probs, ["b", "c", "a"], ["a", "b", "d"])


def test_target_ranks_and_scores_per_sign():
    labels = [f"s{i}" for i in range(12)]
    probs = np.tile(np.linspace(1.0, 0.01, 12), (3, 1))  # sign i ranked i+1 in every row
    targets = [0, 3, 11]
    np.testing.assert_array_equal(target_ranks(probs, targets), [1, 4, 12])
    scores = score_probabilities(probs, targets, labels)
    assert (scores.n, scores.top1, scores.top10) == (3, pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert scores.per_sign["s11"].top10 == 0.0
    assert scores.per_sign["s3"].top1 == 0.0 and scores.per_sign["s3"].top10 == 1.0


def test_ties_rank_like_stable_top_k():
    probs = np.array([[0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_array_equal(target_ranks(probs, [2]), [3])


class FixedModel:
    """A classifier over its own label order that always returns the same scores, and records what it was
    told of the clip's shape."""

    def __init__(self, labels, scores):
        self.labels, self.scores, self.frame_aspects = labels, np.array(scores, dtype=np.float32), []

    def probabilities(self, data, *, frame_aspect=None):
        self.frame_aspects.append(frame_aspect)
        return self.scores


def test_an_ensemble_adds_up_scores_of_the_same_sign_and_passes_the_clip_shape_on():
    a = FixedModel(["x", "y", "z"], [0.6, 0.3, 0.1])
    b = FixedModel(["z", "y", "x"], [0.7, 0.2, 0.1])  # another label order: z first

    ensemble = Ensemble(labels=["x", "y", "z"], members=[(a, 1.0), (b, 1.0)])
    probs = ensemble.probabilities(np.zeros((1, 543, 3)), frame_aspect=16 / 9)

    np.testing.assert_allclose(probs, [0.35, 0.25, 0.4], atol=1e-6)
    assert [p.sign for p in ensemble.top_k(np.zeros((1, 543, 3)), k=2)] == ["z", "x"]
    assert a.frame_aspects == b.frame_aspects == [16 / 9, None]
    alone = Ensemble(labels=["x", "y", "z"], members=[(b, 1.0)])
    np.testing.assert_allclose(alone.probabilities(None), [0.1, 0.2, 0.7])
