"""A Keras model whose explained output is a probability is refused, however the sigmoid or softmax is written."""

import pytest

from baselines.byo import ModelFileError, check_input, register_pretrained
from baselines.logit import probability_output
from baselines.tf_setup import keras, tf
from tests.runfile_helpers import isolated_registries  # noqa: F401 (fixture)

L = 30


def _trunk():
    inputs = keras.Input((L, 4))
    x = keras.layers.Conv1D(4, 5, activation="relu")(inputs)
    return inputs, keras.layers.Flatten()(x)


def tfop_sigmoid():
    inputs, x = _trunk()
    return keras.Model(inputs, tf.math.sigmoid(keras.layers.Dense(1)(x)))


def dense_sigmoid_then_reshape():
    inputs, x = _trunk()
    return keras.Model(inputs, keras.layers.Reshape((1,))(keras.layers.Dense(1, activation="sigmoid")(x)))


def activation_softmax():
    inputs, x = _trunk()
    return keras.Model(inputs, keras.layers.Activation("softmax")(keras.layers.Dense(1)(x)))


def lambda_sigmoid():
    inputs, x = _trunk()
    return keras.Model(inputs, keras.layers.Lambda(lambda t: 1.0 / (1.0 + tf.exp(-t)))(keras.layers.Dense(1)(x)))


def nested_sigmoid():
    inputs, x = _trunk()
    head = keras.Sequential([keras.Input((x.shape[-1],)), keras.layers.Dense(1), keras.layers.Activation("sigmoid")])
    return keras.Model(inputs, keras.layers.Flatten()(head(x)))


def linear_then_reshape():
    inputs, x = _trunk()
    return keras.Model(inputs, keras.layers.Reshape((1,))(keras.layers.Dense(1)(x)))


def linear_then_squeeze_op():
    inputs, x = _trunk()
    return keras.Model(inputs, tf.reshape(keras.layers.Dense(1, activation="linear")(x), (-1, 1)))


@pytest.mark.parametrize("build, words", [
    (tfop_sigmoid, "applies tf.math.sigmoid"),
    (dense_sigmoid_then_reshape, "has activation 'sigmoid'"),
    (activation_softmax, "has activation 'softmax'"),
    (lambda_sigmoid, "is a Lambda whose outputs lie in [0, 1]"),
    (nested_sigmoid, "has activation 'sigmoid'"),
])
def test_a_probability_output_is_refused_with_how_to_pass_the_logit(build, words):
    network = build()
    assert words in probability_output(network)
    with pytest.raises(ModelFileError) as error:
        check_input(network, L, "mine.keras")
    text = str(error.value)
    assert "mine.keras: the model's output is a probability, not a logit" in text and words in text
    assert "Dense(1, activation='linear')" in text and "from_logits=True" in text


@pytest.mark.parametrize("build", [linear_then_reshape, linear_then_squeeze_op])
def test_a_logit_output_passes_through_shape_only_layers(build):
    assert probability_output(build()) == ""
    check_input(build(), L, "mine.keras")


@pytest.mark.usefixtures("isolated_registries")
def test_a_pretrained_file_ending_in_tf_math_sigmoid_is_refused_when_loaded(tmp_path):
    tfop_sigmoid().save(tmp_path / "probability.keras")
    entry = register_pretrained("mine", tmp_path / "probability.keras")
    from baselines.architectures import ARCHITECTURES

    with pytest.raises(ModelFileError, match=r"applies tf.math.sigmoid, whose outputs lie in \[0, 1\]"):
        ARCHITECTURES[entry](L)
