"""The hierarchical bootstrap's coverage on simulated two-level data with known between-model variance."""

import numpy as np

from benchmark.analysis import stats


def simulate(rng, n_models, n_seq, mu, tau, sigma):
    """Per model: sequences ~ N(mu + model effect, sigma), model effect ~ N(0, tau)."""
    centres = mu + tau * rng.standard_normal(n_models)
    return [c + sigma * rng.standard_normal(n_seq) for c in centres]


def coverage(n_sims, n_models, n_seq, mu, tau, sigma, n_boot=400, seed=0):
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(n_sims):
        units = simulate(rng, n_models, n_seq, mu, tau, sigma)
        _, low, high = stats.hierarchical_ci(units, n_boot=n_boot, seed=i)
        hits += low <= mu <= high
    return hits / n_sims


def test_coverage_near_95_with_between_model_variance():
    # between-model spread dominates: a sequence-only bootstrap would cover far less than 95%
    got = coverage(n_sims=300, n_models=12, n_seq=40, mu=0.1, tau=0.05, sigma=0.2)
    assert 0.90 <= got <= 0.99, got


def test_coverage_near_95_when_sequences_dominate():
    got = coverage(n_sims=200, n_models=12, n_seq=30, mu=0.0, tau=0.0, sigma=0.3, seed=1)
    assert 0.90 <= got <= 1.0, got


def test_sequence_only_bootstrap_undercovers_the_same_data():
    """The old CI (sequences within fixed models) misses the model draw: it must cover much less."""
    rng = np.random.default_rng(2)
    hits = 0
    for i in range(200):
        units = simulate(rng, 12, 40, 0.1, 0.05, 0.2)
        reps = np.zeros(400)
        boot = np.random.default_rng(i)
        for u in units:
            reps += u[boot.integers(0, len(u), size=(400, len(u)))].mean(1)
        low, high = stats.interval(reps / len(units))
        hits += low <= 0.1 <= high
    assert hits / 200 < 0.85


def test_replicates_are_deterministic_and_centred():
    units = [np.arange(10.0), np.arange(5.0) + 3, np.array([1.0, np.nan, 2.0])]
    a = stats.hierarchical_replicates(units, n_boot=500, seed=3)
    b = stats.hierarchical_replicates(units, n_boot=500, seed=3)
    assert np.array_equal(a, b)
    assert abs(a.mean() - stats.effect(units)) < 0.5
    assert stats.effect(units) == np.mean([4.5, 5.0, 1.5])


def test_empty_units_give_nan():
    est, low, high = stats.hierarchical_ci([np.array([np.nan])])
    assert np.isnan(est) and np.isnan(low) and np.isnan(high)
