"""The training recipe: small data learns, seeds are recorded and keyed, the
exponential first layer builds, trains and is explained by deeplift, shap and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import baselines.store as store
import methods
from baselines import build_network, get_model
from baselines.store import load_history, model_key
from baselines.synthetic import planted_motif_dataset
from baselines.tf_setup import keras, set_seed, tf
from baselines.train import _Warmup, epoch_rows, predict, random_mutation, random_shift, train_pass, validate
from methods import _deeplift_adapter as adapter
from methods.references import dinucleotide_shuffles
from methods.registry import convergence_error
from baselines.model import KERAS, TrainedModel

# a shallow CNN small enough to train in seconds
TINY = {"scale": 0.125, "n_conv": 2}


@pytest.fixture(scope="module")
def few_positives():
    """~200 training positives, 60 bp: the regime where the old recipe stopped before learning."""
    return planted_motif_dataset(n=700, length=60, positive_fraction=0.4, seed=3, name="planted-few")


def test_model_learns_a_planted_motif_from_a_few_hundred_positives(few_positives, tmp_path):
    n_pos = int(few_positives.y[~few_positives.is_test].sum())
    assert 150 <= n_pos <= 300
    model = get_model(few_positives, "shallow", progress=False, root=tmp_path, **TINY)
    assert model.fidelity["test_auroc"] > 0.8, model.fidelity  # chance is 0.5
    assert model.seed == 0 and model.fidelity["test_n"] == int(few_positives.is_test.sum())


def test_seeds_change_the_weights_and_nothing_else_in_the_key(few_positives, tmp_path, monkeypatch):
    hashed = []
    real_hash = store.content_hash
    monkeypatch.setattr(store, "content_hash", lambda obj, *a, **k: hashed.append(obj) or real_hash(obj, *a, **k))
    keys = [model_key(few_positives, "shallow", seed=s, **TINY) for s in (0, 1, 2)]
    assert len(set(keys)) == 3
    contents = hashed[-3:]
    for seed, content in enumerate(contents):
        assert content["seed"] == seed
        assert {k: v for k, v in content.items() if k != "seed"} == {k: v for k, v in contents[0].items() if k != "seed"}
    monkeypatch.undo()
    short = dict(TINY, epochs=1, min_epochs=1)
    models = [get_model(few_positives, "shallow", seed=s, progress=False, root=tmp_path, **short) for s in (0, 1)]
    assert [m.seed for m in models] == [0, 1]
    assert models[0].path.name.replace("-s0-", "-s1-").rsplit("-", 1)[0] == models[1].path.name.rsplit("-", 1)[0]
    first, second = (m.network.get_weights() for m in models)
    assert any(not np.array_equal(a, b) for a, b in zip(first, second))
    assert models[0].params == models[1].params  # same settings recorded, only the seed differs


def test_small_epochs_are_filled_to_min_epoch_samples():
    y = np.array([1] * 30 + [0] * 60, dtype=np.int8)
    rng = np.random.default_rng(0)
    rows = epoch_rows(y, np.arange(90), 3.0, rng)
    assert len(rows) == 90 and set(rows.tolist()) == set(range(90))


def test_shift_augmentation_rolls_each_row_within_the_bound():
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(50, 30))]  # (50, 30, 4) one-hot
    shifted = random_shift(X, 3, np.random.default_rng(1))
    assert shifted.shape == X.shape
    offsets = []
    for row, out in zip(X, shifted):  # each row is its own circular roll by an offset in [-3, 3]
        matches = [k for k in range(-3, 4) if np.array_equal(np.roll(row, k, axis=0), out)]
        assert matches, "a row is not a roll of its input within +-3 bp"
        offsets.append(matches[0])
    assert len(set(offsets)) > 1  # rows get their own offsets
    # the offsets are the generator's next draws, in row order: cached models were trained on exactly these
    assert offsets == np.random.default_rng(1).integers(-3, 4, size=len(X)).tolist()
    assert np.array_equal(shifted, random_shift(X, 3, np.random.default_rng(1)))  # seeded
    assert random_shift(X, 0, rng) is X  # 0 turns it off


def test_mutation_augmentation_substitutes_about_the_fraction_and_keeps_one_hot():
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(400, 50))]  # (400, 50, 4) one-hot
    mutated = random_mutation(X, 0.2, np.random.default_rng(1))
    assert mutated.shape == X.shape and mutated.dtype == X.dtype
    assert np.array_equal(mutated.sum(-1), np.ones((400, 50)))  # still one base per position
    changed = np.mean(np.any(mutated != X, axis=-1))
    # a position is drawn with probability 0.2 and then lands on another base 3 times in 4
    assert 0.13 < changed < 0.17, changed
    assert not np.array_equal(X, mutated) and np.array_equal(X, np.eye(4, dtype=np.float32)[X.argmax(-1)])  # input kept
    assert np.array_equal(mutated, random_mutation(X, 0.2, np.random.default_rng(1)))  # seeded
    assert random_mutation(X, 0.0, rng) is X  # 0 turns it off and draws nothing


class _PerBatchWarmup(keras.callbacks.Callback):
    """The warm-up as a fit callback (how training ran before `train_pass`): a new rate before every batch."""

    def __init__(self, rate: float, steps: int):
        super().__init__()
        self.rate, self.steps, self.step = rate, steps, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rate * min(1.0, (self.step + 1) / self.steps))
        self.step += 1


@pytest.mark.parametrize("warmup_steps", [0, 7])
def test_train_pass_gives_the_weights_and_loss_of_keras_fit_to_the_bit(warmup_steps):
    """`train_pass` replaces ``network.fit(epochs=1, shuffle=False)``: cached models depend on it being the same."""
    rng = np.random.default_rng(5)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(70, 40))]  # 70 rows: 5 batches, the last of 6
    y = (rng.random(70) < 0.4).astype(np.float32)
    runs = []
    for use_fit in (True, False):
        set_seed(3)  # dropout draws included: the network has dropout 0.2
        network = build_network("shallow", 40, **TINY)
        network.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                        loss=keras.losses.BinaryCrossentropy(from_logits=True))
        callbacks = [_PerBatchWarmup(1e-3, warmup_steps)] if warmup_steps else []
        warmup, losses = _Warmup(1e-3, warmup_steps), []
        for _ in range(3):  # with 7 warm-up steps the second pass changes rate mid-pass
            if use_fit:
                fit = network.fit(X, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
                losses.append(fit.history["loss"][-1])
            else:
                losses.append(train_pass(network, X, y, 16, warmup))
        runs.append((network.get_weights(), losses, float(network.optimizer.learning_rate.numpy())))
    (fit_weights, fit_losses, fit_rate), (pass_weights, pass_losses, pass_rate) = runs
    assert pass_losses == fit_losses and pass_rate == fit_rate
    assert all(np.array_equal(a, b) for a, b in zip(fit_weights, pass_weights))
    assert any(not np.array_equal(a, b) for a, b in zip(pass_weights, build_network("shallow", 40, **TINY).get_weights()))


def _exp_model(pooling: str) -> TrainedModel:
    set_seed(1)
    network = build_network("shallow", 40, first_activation="exponential", pooling=pooling, **TINY)
    return TrainedModel(kind=KERAS, arch="shallow", params={}, seed=1, network=network, sequence_length=40,
                        first_kernel_width=5, conv_layer_names=["conv1", "conv2"])


def test_exponential_first_layer_builds_and_only_conv1_is_exponential():
    network = build_network("basset", 100, first_activation="exponential", scale=0.05)
    activations = {layer.name: layer.get_config().get("activation") for layer in network.layers}
    assert activations["conv1"] == "exponential" and activations["conv2"] == "relu"
    with pytest.raises(ValueError, match="first_activation must be one of"):
        build_network("basset", 100, first_activation="softplus")


def test_exponential_first_layer_trains(few_positives, tmp_path):
    model = get_model(few_positives, "shallow", progress=False, root=tmp_path, first_activation="exponential", **TINY)
    assert np.isfinite(model.predict_logit(few_positives.X[:50])).all()
    assert model.fidelity["test_auroc"] > 0.8, model.fidelity


def test_deeplift_converts_the_exponential_activation():
    model = _exp_model("average")
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(8, 40))]
    converted = adapter.convert(model.network, "gradient")
    np.testing.assert_allclose(converted.predict(X), model.predict_logit(X), atol=1e-4, rtol=1e-5)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model.network(x, training=False)
    grad = tape.gradient(out, x).numpy()
    np.testing.assert_allclose(converted.multipliers(X, np.zeros_like(X)) * X, grad * X, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode", ["rescale", "genomics_default"])
def test_deeplift_on_an_exponential_layer_stays_finite_where_the_reference_is_large(mode):
    # a reference whose pre-activation exceeds ln(88.7) once made deeplift's near-zero fallback
    # exp(exp(z_ref)) = inf, and its masked sum 0 x inf = NaN (found on a trained basset_exp)
    set_seed(3)
    network = keras.Sequential([keras.layers.Input(shape=(12, 4)),
                                keras.layers.Conv1D(2, 3, activation="exponential", name="conv1"),
                                keras.layers.Flatten(), keras.layers.Dense(1, name="logit")])
    kernel = np.zeros((3, 4, 2), np.float32)
    kernel[:, 0, :] = 2.0  # an AAA window gives pre-activation 6 (exp 403), anything else less
    network.get_layer("conv1").set_weights([kernel, np.zeros(2, np.float32)])
    onehot = np.eye(4, dtype=np.float32)
    ref = onehot[[0] * 12][None]  # all A: every window at pre-activation 6
    X = onehot[[0, 0, 0, 1, 2, 3, 0, 0, 0, 1, 2, 3]][None]  # shares some AAA windows with it: Δin = 0 there
    converted = adapter.convert(network, mode)
    contributions = converted.multipliers(X, ref) * (X - ref)
    assert np.isfinite(contributions).all()
    delta = float(network(X).numpy().ravel()[0] - network(ref).numpy().ravel()[0])
    assert contributions.sum() == pytest.approx(delta, rel=1e-4)  # no pooling: summation to delta holds


@pytest.mark.parametrize("method", ["deeplift_rescale", "deepshap", "gradient"])
def test_methods_explain_an_exponential_model(method):
    model = _exp_model("average")
    rng = np.random.default_rng(1)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(6, 40))]
    refs = dinucleotide_shuffles(X, 4, seed=0)
    spec = methods.METHODS[method]
    hyp = spec.fn(model, X, refs)
    assert hyp.shape == X.shape and np.isfinite(hyp).all() and np.abs(hyp).max() > 0
    if method != "gradient":  # no max-pool: both DeepLIFT Rescale and DeepSHAP sum to f(x) - f(ref)
        assert convergence_error(model, X, refs, hyp) < 1e-3


def _batchnorm_model(first_activation: str) -> TrainedModel:
    """A shallow net with batch normalisation (as basset_exp / basset_bn), BN statistics set away from the identity."""
    set_seed(2)
    network = build_network("shallow", 40, first_activation=first_activation, pooling="average", batch_norm=True, **TINY)
    rng = np.random.default_rng(2)
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma * rng.uniform(0.5, 2, gamma.shape), beta + rng.normal(0, 0.2, beta.shape),
                               mean + rng.normal(0, 0.2, mean.shape), var * rng.uniform(0.5, 2, var.shape)])
    return TrainedModel(kind=KERAS, arch="shallow", params={}, seed=2, network=network, sequence_length=40,
                        first_kernel_width=5, conv_layer_names=["conv1", "conv2"])


@pytest.mark.parametrize("first_activation", ["relu", "exponential"])
def test_deeplift_explains_batch_normalisation(first_activation):
    """Keras 3 stores BatchNormalization's axis as a list; the converted model must still match Keras,
    and without max-pooling Rescale must equal DeepSHAP and sum to f(x) - f(ref)."""
    model = _batchnorm_model(first_activation)
    rng = np.random.default_rng(3)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(6, 40))]
    np.testing.assert_allclose(adapter.convert(model.network, "rescale").predict(X), model.predict_logit(X), atol=1e-4, rtol=1e-5)
    refs = dinucleotide_shuffles(X, 4, seed=0)
    rescale = methods.METHODS["deeplift_rescale"].fn(model, X, refs)
    shap_hyp = methods.METHODS["deepshap"].fn(model, X, refs)
    assert np.abs(rescale).max() > 1e-3
    # at the observed base both are exact; off it (hypothetical bases) they agree for ReLU only, because
    # deeplift and shap fall back to different gradients where a smooth unit's input barely moves
    # (the shuffles keep the first and last base)
    np.testing.assert_allclose((rescale * X).sum(-1), (shap_hyp * X).sum(-1), atol=1e-4, rtol=1e-4)
    if first_activation == "relu":
        np.testing.assert_allclose(rescale, shap_hyp, atol=1e-4, rtol=1e-4)
    for hyp in (rescale, shap_hyp):
        assert convergence_error(model, X, refs, hyp) < 1e-3


def test_restarts_retry_a_run_below_the_floor_and_leave_unset_keys_alone(few_positives, tmp_path):
    short = dict(TINY, epochs=1, min_epochs=1)
    # the smoke profile leaves the optional settings unset: then they are not part of the key; set, they are
    assert model_key(few_positives, "shallow", profile="smoke") != model_key(few_positives, "shallow", profile="smoke", restarts=0)
    plain = get_model(few_positives, "shallow", progress=False, root=tmp_path, restarts=0, **short)
    # a floor no run can reach: every attempt runs, the best one is kept and all are recorded
    retried = get_model(few_positives, "shallow", progress=False, root=tmp_path, restarts=2, restart_below=1.01, **short)
    history = load_history(retried)
    assert len(history["attempts_val_auroc"]) == 3
    assert max(history["attempts_val_auroc"]) == pytest.approx(max(history["val_auroc"]), abs=1e-6)
    # a floor the first run passes: one attempt, the plain run's weights
    passed = get_model(few_positives, "shallow", progress=False, root=tmp_path, restarts=2, restart_below=0.0, **short)
    assert load_history(passed)["attempts_val_auroc"] == history["attempts_val_auroc"][:1]
    assert all(np.array_equal(a, b) for a, b in zip(plain.network.get_weights(), passed.network.get_weights()))


def _plain_and_with(dataset, root, setting: str, value: float):
    """Two 2-epoch shallow models, without and with an optional training setting; checks the
    setting enters the key and the recorded settings only when set."""
    short = dict(TINY, epochs=2, min_epochs=2)
    assert model_key(dataset, "shallow", profile="smoke") != model_key(dataset, "shallow", profile="smoke", **{setting: value})
    plain = get_model(dataset, "shallow", progress=False, root=root, **short)
    changed = get_model(dataset, "shallow", progress=False, root=root, **{setting: value}, **short)
    assert changed.params["training"][setting] == value and setting not in plain.params["training"]
    return plain, changed


def test_weight_decay_enters_the_key_only_when_set_and_shrinks_the_weights(few_positives, tmp_path):
    plain, decayed = _plain_and_with(few_positives, tmp_path, "weight_decay", 50.0)
    # same seed, same batches: only the decoupled decay (rate x 50 of each weight per update) differs
    norm = lambda model: sum(float(np.sum(w ** 2)) for w in model.network.get_weights())  # noqa: E731
    assert norm(decayed) < 0.9 * norm(plain)


def test_mutation_enters_the_key_only_when_set_and_changes_the_training_inputs(few_positives, tmp_path):
    plain, mutated = _plain_and_with(few_positives, tmp_path, "mutate_fraction", 0.05)
    # same seed, rows, flips and shifts: only the substituted bases differ, so the weights do
    assert any(not np.array_equal(a, b) for a, b in zip(plain.network.get_weights(), mutated.network.get_weights()))


def test_weight_averaging_enters_the_key_only_when_set_and_keeps_the_average(few_positives, tmp_path):
    plain, averaged = _plain_and_with(few_positives, tmp_path, "ema_momentum", 0.99)
    # same seed and batches; the kept weights are an average of the iterates, not the last iterate
    assert any(not np.array_equal(a, b) for a, b in zip(plain.network.get_weights(), averaged.network.get_weights()))
    with pytest.raises(ValueError, match="ema_momentum must be in"):
        get_model(few_positives, "shallow", progress=False, root=tmp_path, ema_momentum=1.0, **TINY)


def test_validation_on_the_average_leaves_the_raw_weights_to_train_on(few_positives):
    set_seed(0)
    network = build_network("shallow", few_positives.X.shape[1], **TINY)
    network.compile(optimizer=keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9),
                    loss=keras.losses.BinaryCrossentropy(from_logits=True))
    X, y = few_positives.X[:256].astype(np.float32), few_positives.y[:256].astype(np.float32)
    for _ in range(3):
        train_pass(network, X, y, 32, _Warmup(1e-2, 0))
    raw = network.get_weights()
    logits, weights = validate(network, X[:64], averaged=True)
    # the optimizer's averaged copies, in the model's variable order (public `variables`, named .../average/...)
    average = [np.asarray(v) for v in network.optimizer.variables if "/average/" in v.name]
    assert len(average) == len(raw)
    assert all(np.array_equal(a, b) for a, b in zip(network.get_weights(), raw))  # raw weights back in place
    assert all(np.array_equal(a, b) for a, b in zip(weights(), average))  # what was scored is the average
    assert any(not np.array_equal(a, b) for a, b in zip(average, raw))
    network.set_weights(average)
    np.testing.assert_array_equal(logits, predict(network, X[:64]))
