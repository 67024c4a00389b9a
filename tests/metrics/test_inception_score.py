"""Inception Score (``kgen.metrics.inception_score``): its bounds 1 and C, and an
independent computation."""

import numpy as np
import pytest

import kgen.metrics


def reference_inception_score(p, splits):
    """Written independently of kgen: the openai/improved-gan loop, with 0 log 0 = 0."""
    n, scores = len(p), []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]
        py = np.mean(part, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(py)), 0.0)
        scores.append(np.exp(np.mean(np.sum(terms, axis=1))))
    return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("splits", [1, 5, 10])
def test_a_uniform_classifier_scores_one(splits):
    mean, std = kgen.metrics.inception_score(np.full((100, 7), 1 / 7), splits=splits)
    np.testing.assert_allclose(mean, 1.0, rtol=1e-12)
    assert std < 1e-12


@pytest.mark.parametrize("num_classes", [2, 10, 1000])
def test_a_confident_class_balanced_classifier_scores_the_number_of_classes(num_classes):
    splits = 4
    probabilities = np.tile(np.eye(num_classes), (splits, 1))  # each split: every class once
    mean, std = kgen.metrics.inception_score(probabilities, splits=splits)
    np.testing.assert_allclose(mean, num_classes, rtol=1e-12)
    assert std < 1e-9


def test_inception_score_equals_an_independent_computation():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.full(10, 0.3), size=1003)
    probabilities[::7, 3] = 0.0  # exact zeros: 0 log 0 = 0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected = reference_inception_score(probabilities, 10)
    np.testing.assert_allclose(kgen.metrics.inception_score(probabilities, splits=10),
                               expected, rtol=1e-12)
    assert 1.0 < expected[0] < 10.0


def test_float32_softmax_rows_within_tolerance_are_renormalized():
    probabilities = np.tile(np.eye(5), (2, 1)).astype(np.float32) * (1 + 5e-4)
    mean, _ = kgen.metrics.inception_score(probabilities, splits=2)
    np.testing.assert_allclose(mean, 5.0, rtol=1e-12)


P = np.full((20, 4), 0.25)
BAD = [
    ("probabilities", ValueError, lambda: kgen.metrics.inception_score(P * 2)),
    ("probabilities", ValueError, lambda: kgen.metrics.inception_score(P - 0.5)),
    ("probabilities", ValueError, lambda: kgen.metrics.inception_score(np.where(P > 0, np.nan, P))),
    ("probabilities", ValueError, lambda: kgen.metrics.inception_score(P[0])),
    ("probabilities", ValueError, lambda: kgen.metrics.inception_score(P[:5], splits=10)),
    ("probabilities", TypeError, lambda: kgen.metrics.inception_score(np.full((4, 2), "a"))),
    ("splits", ValueError, lambda: kgen.metrics.inception_score(P, splits=0)),
    ("splits", TypeError, lambda: kgen.metrics.inception_score(P, splits=2.5)),
]


@pytest.mark.parametrize("name, error, call", BAD,
                         ids=[f"{i}-{n}" for i, (n, _, _) in enumerate(BAD)])
def test_bad_input_raises_an_error_naming_the_argument(name, error, call):
    with pytest.raises(error, match=f"`{name}`"):
        call()


def test_logits_are_refused_with_a_hint():
    logits = np.random.default_rng(1).normal(size=(10, 3))
    with pytest.raises(ValueError, match="not logits"):
        kgen.metrics.inception_score(logits, splits=1)
