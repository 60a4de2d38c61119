"""Architecture registry, parameters and profiles (no training)."""

from __future__ import annotations

import numpy as np
import pytest

from baselines import ARCHITECTURES, PROFILES, arch_kind
from baselines.architectures import arch_defaults, build_network, conv_layer_names, first_kernel_width, keras_architectures
from baselines.store import resolve_settings
from baselines.tf_setup import keras


def test_registry_lists_every_architecture_and_its_kind():
    from baselines.architectures import TORCH_TWINS

    # the torch twins register when torch is first used (by another test in this process, perhaps)
    built_in = [name for name in ARCHITECTURES.names() if name not in TORCH_TWINS]
    assert built_in == ["basset", "beluga", "gkmsvm", "shallow"]
    assert [arch_kind(name) for name in built_in] == ["keras", "keras", "gkmsvm", "keras"]
    assert keras_architectures() == ["basset", "beluga", "shallow"]


@pytest.mark.parametrize("arch, first_width, n_conv", [("basset", 19, 3), ("beluga", 8, 6), ("shallow", 5, 3)])
def test_builders_end_in_a_linear_logit_and_name_their_convs(arch, first_width, n_conv):
    params = PROFILES["smoke"].params_for(arch)
    if arch == "shallow":
        params["n_conv"] = 3
    network = build_network(arch, 200, **params)
    assert isinstance(network, keras.Sequential)
    assert network.input_shape == (None, 200, 4)
    assert network.output_shape == (None, 1)
    last = network.layers[-1]
    assert last.name == "logit" and isinstance(last, keras.layers.Dense)
    assert last.get_config()["activation"] == "linear"
    assert conv_layer_names(network) == [f"conv{i}" for i in range(1, n_conv + 1)]
    assert first_kernel_width(network) == first_width


def test_parameters_change_the_network():
    small = build_network("basset", 200, scale=0.1)
    assert first_kernel_width(build_network("basset", 200, scale=0.1, kernel_width=5)) == 5
    assert small.get_layer("conv1").filters == 30
    assert build_network("basset", 200, scale=1.0).get_layer("conv1").filters == 300  # published width
    pools = {type(layer).__name__ for layer in build_network("beluga", 200, scale=0.05, pooling="average").layers}
    assert "AveragePooling1D" in pools and "MaxPooling1D" not in pools
    assert "MaxPooling1D" in {type(layer).__name__ for layer in small.layers}


def test_logit_output_is_not_squashed():
    network = build_network("shallow", 100, scale=0.25)
    network.get_layer("logit").set_weights([np.full((network.get_layer("logit").input_shape[-1], 1), 5.0, np.float32), np.array([3.0], np.float32)])
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (8, 100))]
    logits = network(x).numpy()
    assert logits.max() > 1.0  # a sigmoid output could never exceed 1


def test_unknown_architecture_lists_valid_names():
    with pytest.raises(KeyError, match="basset.*beluga.*gkmsvm.*shallow"):
        arch_kind("resnet")
    with pytest.raises(KeyError, match="Did you mean 'basset'"):
        build_network("baset", 200)


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ValueError, match="'kernel'.*valid parameters: batch_norm, dropout, first_activation, initializer, kernel_width, padding, pooling, scale"):
        build_network("basset", 200, kernel=5)
    with pytest.raises(ValueError, match="unknown parameter 'kernel_size'.*kernel_width.*training settings: .*epochs"):
        resolve_settings("beluga", "default", kernel_size=5)
    # settings no profile sets (restarts in smoke, weight_decay anywhere) are listed too
    with pytest.raises(ValueError, match="training settings: .*restarts.*weight_decay"):
        resolve_settings("shallow", "smoke", weight_decy=0.1)
    with pytest.raises(ValueError, match="unknown parameter 'kernel_width' for architecture 'gkmsvm'.*valid parameters: C, d, k"):
        resolve_settings("gkmsvm", "default", kernel_width=5)


def test_bad_parameter_values_are_explained():
    with pytest.raises(ValueError, match="pooling must be one of"):
        build_network("basset", 200, pooling="min")
    with pytest.raises(ValueError, match="scale must be > 0"):
        build_network("basset", 200, scale=0)


def test_sequence_too_short_for_the_architecture():
    with pytest.raises(ValueError, match="sequence length 20 is too short for architecture 'basset'.*conv3"):
        build_network("basset", 20, scale=0.1)
    with pytest.raises(ValueError, match="too short.*conv1"):
        build_network("basset", 15, padding="valid")


def test_profiles_resolve_and_unknown_profile_lists_valid_ones():
    assert PROFILES.names() == ["default", "paper", "smoke"]
    params, training = resolve_settings("basset", "paper")
    assert params["scale"] == 1.0 and params["kernel_width"] == 19
    assert training["epochs"] >= 50
    params, training = resolve_settings("gkmsvm", "default")
    assert params["solver"] == "nystrom" and params["max_train"] == 1000 and training == {}
    with pytest.raises(KeyError, match="unknown profile 'fast'.*default, paper, smoke"):
        resolve_settings("basset", "fast")
    for name, profile in PROFILES.items():
        for arch in profile.arch_params:
            assert set(profile.params_for(arch)) <= set(arch_defaults(arch)), (name, arch)
