"""The random floor and the PWM-scan ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from methods import AttributionError, attribute
from methods.controls import log_odds
from baselines.toy import random_onehot, toy_cnn

ONEHOT = np.eye(4, dtype=np.float32)
MOTIF = np.array([0, 0, 3, 3, 2, 2, 1, 1])  # AATTGGCC: not its own reverse complement


@pytest.fixture(scope="module")
def model():
    return toy_cnn(length=60, seed=0)


def test_random_is_seeded(model):
    X = random_onehot(3, 60)
    a = attribute("random", model, X, seed=1).hypothetical
    assert a.tobytes() == attribute("random", model, X, seed=1).hypothetical.tobytes()
    assert a.tobytes() != attribute("random", model, X, seed=2).hypothetical.tobytes()


def brute_force_scan(X, motifs, pseudocount=0.01):
    n, length = X.shape[:2]
    bases = X.argmax(-1)
    best = np.zeros((n, length))
    for freq in motifs.values():
        pssm = log_odds(freq, pseudocount)
        w = len(pssm)
        for s in range(n):
            for start in range(length - w + 1):
                window = bases[s, start : start + w]
                fwd = pssm[np.arange(w), window].sum()
                rev = pssm[np.arange(w), 3 - window[::-1]].sum()
                best[s, start : start + w] = np.maximum(best[s, start : start + w], max(fwd, rev))
    return best


def test_pwm_scan_equals_brute_force(model):
    rng = np.random.default_rng(0)
    motifs = {"a": rng.dirichlet(np.ones(4) * 0.3, size=6), "b": rng.dirichlet(np.ones(4) * 0.3, size=9)}
    X = random_onehot(3, 60, seed=9)
    got = attribute("pwm_scan", model, X, context={"motifs": motifs})
    np.testing.assert_allclose(got.scores, brute_force_scan(X, motifs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("strand", ["+", "-"])
def test_pwm_scan_peaks_on_a_planted_site(model, strand):
    X = random_onehot(1, 60, seed=10)
    site = MOTIF if strand == "+" else 3 - MOTIF[::-1]
    X[0, 30:38] = ONEHOT[site]
    motifs = {"m": ONEHOT[MOTIF] * 0.97 + 0.01}
    scores = attribute("pwm_scan", model, X, context={"motifs": motifs}).scores[0]
    assert scores[30:38].min() > 10  # 8 strong matches of log2(0.97.../0.25) each
    assert np.delete(scores, np.arange(30, 38)).max() < scores[30:38].min()
    assert scores.min() >= 0


def test_pwm_scan_needs_motifs(model):
    with pytest.raises(AttributionError, match="needs task context"):
        attribute("pwm_scan", model, random_onehot(1, 60))
