"""The model as data: parsing --arch, building the Sequential, and the run configuration."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist.config import TrainConfig, make_config, normalize_values, read_toml
from mnist.model import ConfigError, ModelSpec, build_model, count_parameters, describe, parse_arch
from tinygrad_edu import Tensor, nn

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_parse_arch():
    assert parse_arch("784-256-128-10") == (784, 256, 128, 10)
    assert parse_arch(" 784-10 ") == (784, 10)


@pytest.mark.parametrize(
    "text, message",
    [
        ("784-x-10", "--arch: expected layer sizes joined by '-', e.g. 784-256-128-10, got '784-x-10'"),
        ("784--10", "--arch: expected layer sizes"),
        ("784", "--arch: expected at least an input and an output size"),
        ("784-0-10", "--arch: expected layer sizes from 1 to 1,000,000,000, got '784-0-10'"),
        ("784-" + "9" * 30 + "-10", "--arch: expected layer sizes from 1 to 1,000,000,000"),
        ("100-10", "--arch: expected 784 inputs first .* got 100"),
        ("", "--arch: expected layer sizes"),
    ],
)
def test_parse_arch_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_arch(text)


def test_build_model_layers_and_parameter_count():
    model = build_model(ModelSpec((784, 256, 128, 10), "tanh", 0.1), np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert count_parameters(model) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    text = describe(model)
    assert "Sequential(" in text and "parameters: 235,146" in text


def test_softmax_regression_has_no_hidden_layer():
    model = build_model(ModelSpec((784, 10), "relu", 0.5), np.random.default_rng(0))
    assert [type(layer).__name__ for layer in model] == ["Linear"]
    output = model(Tensor(np.zeros((3, 784), dtype=np.float32)))
    assert output.shape == (3, 10) and output.dtype == np.float32


def test_same_seed_same_weights():
    spec = ModelSpec((784, 32, 10), "relu", 0.0)
    first = build_model(spec, np.random.default_rng(7)).state_dict()
    second = build_model(spec, np.random.default_rng(7)).state_dict()
    other = build_model(spec, np.random.default_rng(8)).state_dict()
    assert list(first) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(np.array_equal(first[key], second[key]) for key in first)
    assert not np.array_equal(first["0.weight"], other["0.weight"])
    assert first["0.weight"].dtype == np.float32


@pytest.mark.parametrize(
    "spec, message",
    [
        (dict(activation="swish"), "--activation: expected one of relu, .*, got 'swish'"),
        (dict(dropout=1.0), r"--dropout: expected a number in \[0, 1\), got 1.0"),
        (dict(arch=(10, 10)), "expected 784 inputs first .* got 10"),
    ],
)
def test_model_spec_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        ModelSpec(**spec)


def test_dropout_layers_share_the_generator():
    generator = np.random.default_rng(0)
    model = build_model(ModelSpec((784, 16, 16, 10), "relu", 0.5), generator)
    dropouts = [layer for layer in model if isinstance(layer, nn.Dropout)]
    assert len(dropouts) == 2 and all(layer.generator is generator for layer in dropouts)


def test_config_defaults_and_layers():
    config = make_config({"epochs": 3}, normalize_values({"batch-size": "full", "arch": "784-64-10"}, "test"))
    assert config.epochs == 3 and config.batch_size == "full" and config.arch == (784, 64, 10)
    assert TrainConfig().to_dict()["arch"] == "784-512-256-10"


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epochs": 0}, "epochs: expected a whole number >= 1, got 0"),
        ({"epochs": -2}, "epochs: expected a whole number >= 1"),
        ({"lr": 0.0}, "lr: expected a finite number > 0"),
        ({"lr": -0.1}, "lr: expected a finite number > 0"),
        ({"lr": float("nan")}, "lr: expected a finite number > 0, got nan"),
        ({"batch_size": 0}, "batch_size: expected a whole number >= 1 or 'full'"),
        ({"optimizer": "rmsprop"}, "optimizer: expected one of sgd, momentum, adam, adamw, got 'rmsprop'"),
        ({"schedule": "linear"}, "schedule: expected one of"),
        ({"loss": "hinge"}, "loss: expected one of ce, mse"),
        ({"weight_decay": -1.0}, "weight_decay: expected a finite number >= 0"),
        ({"arch": (784, 10**8, 10)}, "--arch 784-100000000-10 with --batch-size 128: training needs about .* TB"),
        ({"arch": (784, 10**4, 10**4, 10)}, "--arch 784-10000-10000-10: its checkpoint .* would be 1.3 GB"),
    ],
)
def test_config_errors(values, message):
    with pytest.raises(ConfigError, match=message):
        make_config(values)


def test_read_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('arch = [784, 64, 10]\nactivation = "tanh"\nbatch-size = 64\nlr = 1\nepochs = 2\n')
    config = make_config(read_toml(path))
    assert config.arch == (784, 64, 10) and config.activation == "tanh"
    assert config.batch_size == 64 and config.lr == 1.0 and isinstance(config.lr, float)


@pytest.mark.parametrize(
    "content, message",
    [
        ("epochs = ", "not valid TOML"),
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("arch = '7-12'\n", "run.toml: arch: expected 784 inputs first"),
        ("arch = [784, 'a', 10]\n", r"run.toml: arch: expected .* got \[784, 'a', 10\] \(a list\)"),
        ("dropout = '0.1'\n", r"run.toml: dropout: expected a number in \[0, 1\), got '0.1' \(a string\)"),
        ("standardize = 'no'\n", "run.toml: standardize: expected true or false, got 'no'"),
        ("weight_decay = true\n", "run.toml: weight_decay: expected a finite number >= 0, got True"),
        ("batch-size = 64\nbatch_size = 32\n", "batch-size and batch_size are the same setting, given twice"),
    ],
)
def test_read_toml_errors(tmp_path, content, message):
    path = tmp_path / "run.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        make_config(read_toml(path))
    with pytest.raises(ConfigError, match="config file not found"):
        read_toml(tmp_path / "missing.toml")


def test_model_command_prints_the_model():
    result = subprocess.run(
        [sys.executable, "-m", "mnist.model", "--arch", "784-64-10", "--activation", "sigmoid"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Sigmoid()" in result.stdout and "parameters: 50,890" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "mnist.model", "--arch", "28-10"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_input_dropout_comes_first():
    model = build_model(ModelSpec((784, 16, 10), "relu", 0.0, input_dropout=0.2), np.random.default_rng(0))
    assert [type(layer).__name__ for layer in model] == ["Dropout", "Linear", "ReLU", "Linear"]
    assert list(model.state_dict()) == ["1.weight", "1.bias", "3.weight", "3.bias"]
    with pytest.raises(ConfigError, match="--input-dropout: expected a number in"):
        ModelSpec(input_dropout=-0.1)
