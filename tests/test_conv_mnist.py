"""Convolutional networks for MNIST as data: the conv architecture words, the model they build,
the cnn preset of mnist.experiments, and `python -m mnist.train --preset`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from mnist.config import make_config, read_toml
from mnist.experiments import PRESETS
from mnist.model import ConfigError, ModelSpec, build_model, count_parameters, format_arch, parse_arch
from mnist.train import preset_values
from tinygrad_edu import nn

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
LENET = "conv16k5-pool2-conv32k5-pool2-fc128-10"


def test_conv_arch_is_parsed_into_layer_words_and_the_number_of_classes():
    arch = parse_arch(LENET)
    assert arch == ("conv16k5", "pool2", "conv32k5", "pool2", "fc128", 10)
    assert format_arch(arch) == LENET
    assert parse_arch(format_arch(arch)) == arch
    assert parse_arch("784-128-10") == (784, 128, 10)  # the MLP is unchanged


def test_conv_model_layers_shapes_and_state_dict_keys():
    model = build_model(ModelSpec(parse_arch("conv8k3p1-pool2-conv4k5-fc16-10"), "relu", 0.5), np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == [
        "ToImages", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten", "Linear", "ReLU", "Dropout", "Linear",
    ]  # fmt: skip
    assert model[1].padding == (1, 1) and model[4].kernel_size == (5, 5)
    assert model[7].in_features == 4 * 10 * 10  # 28 -> 28 (padded) -> 14 -> 10
    logits = model(tg.Tensor(np.zeros((3, 784), dtype=np.float32)))
    assert logits.shape == (3, 10)
    state = model.state_dict()
    assert state["1.weight"].shape == (8, 1, 3, 3) and state["4.weight"].shape == (4, 8, 5, 5)
    assert count_parameters(model) == sum(value.size for value in state.values())


def test_conv_model_without_fc_layers_flattens_before_the_output():
    model = build_model(ModelSpec(parse_arch("conv4k5-pool2-pool2-10")), np.random.default_rng(0))
    assert isinstance(model[-2], nn.Flatten) and model[-1].in_features == 4 * 6 * 6


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("conv16k5-pool2-fc128", "to end with its number of classes"),
        ("conv16k5-pool2-lin3-10", "got 'lin3' in"),
        ("conv16k5-fc32-conv8k3-10", "got 'conv8k3' in"),
        ("conv16k29-10", "does not fit an image of 28x28"),
        ("conv16k5-pool2-pool2-pool2-pool2-pool2-10", "pool2 does not fit an image of 1x1"),
        ("conv0k5-10", "conv0k5 does not fit"),
    ],
)
def test_bad_conv_arch_is_one_clear_error(text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_arch(text)


def test_conv_arch_in_a_toml_config(tmp_path):
    path = tmp_path / "cnn.toml"
    path.write_text(f'arch = "{LENET}"\nepochs = 3\n', encoding="utf-8")
    config = make_config(read_toml(path))
    assert config.arch == parse_arch(LENET)
    assert config.to_dict()["arch"] == LENET


def test_cnn_preset_settings():
    values = preset_values("cnn")
    config = make_config(values)
    assert format_arch(config.arch) == LENET
    assert config.epochs == PRESETS["cnn"].epochs
    assert config.optimizer == "adam" and config.schedule == "cosine"
    assert preset_values(None) == {}


def test_every_preset_is_a_valid_config():
    for name in PRESETS:
        make_config(preset_values(name))


def test_train_with_preset_and_flags_writes_metrics(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "mnist.train", "--preset", "cnn", "--epochs", "2", "--limit", "2000", "--lr", "0.005"]
        + ["--arch", "conv4k5-pool2-fc16-10", "--no-progress", "--out", str(out)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Conv2d(1, 4, kernel_size=(5, 5)" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["arch"] == "conv4k5-pool2-fc16-10"
    assert metrics["config"]["schedule"] == "cosine" and metrics["config"]["dropout"] == 0.25  # from the preset
    assert metrics["test_accuracy"] > 0.5  # chance is 0.1
    checkpoint = tg.load(out / "checkpoint.npz")
    assert checkpoint["model.1.weight"].shape == (4, 1, 5, 5)


def test_unknown_preset_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mnist.train", "--preset", "nope", "--out", str(tmp_path / "run")],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--preset" in result.stderr and "cnn" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()
