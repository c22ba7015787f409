"""Pictures of convolutional networks: conv layers as one box in draw_graph, the first layer's
filters and one digit's feature maps (viz.plots)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import viz
from mnist.model import ModelSpec, build_model, parse_arch
from tinygrad_edu import nn

pytest.importorskip("matplotlib")
from viz.plots import plot_conv_filters, plot_feature_maps  # noqa: E402


def small_cnn() -> nn.Sequential:
    return build_model(ModelSpec(parse_arch("conv4k3-pool2-conv6k3-pool2-10")), np.random.default_rng(0))


def test_draw_graph_collapses_each_conv_layer_into_one_box():
    model = small_cnn()
    images = tg.Tensor(np.random.default_rng(1).uniform(size=(2, 784)).astype(np.float32), name="images")
    with viz.trace_modules(model) as trace:
        logits = model(images)
    loss = nn.functional.cross_entropy(logits, np.array([3, 7]))
    source = viz.draw_graph(loss, modules=trace, show_legend=False).source
    assert "1: Conv2d" in source and "4: Conv2d" in source and "3: MaxPool2d" in source
    assert "weight (4, 1, 3, 3)" in source and "weight (6, 4, 3, 3)" in source
    assert "Conv2dInputGrad" not in source  # the forward graph only
    expanded = viz.draw_graph(loss, modules=trace, collapse_modules=False, show_legend=False).source
    assert "Conv2d" in expanded and expanded.count("subgraph cluster_") >= 2


def read_png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_plot_conv_filters_draws_one_image_per_output_channel(tmp_path):
    model = small_cnn()
    path = plot_conv_filters(model[1].weight, tmp_path / "filters.png", title="first layer")
    width, height = read_png_size(path)
    assert width >= 300 and height >= 100
    with pytest.raises(ValueError, match="out_channels, in_channels"):
        plot_conv_filters(np.zeros((3, 3)), tmp_path / "bad.png")


def test_plot_feature_maps_shows_the_digit_and_each_conv_layer(tmp_path):
    model = small_cnn()
    digit = np.random.default_rng(2).uniform(size=784)
    path = plot_feature_maps(model, digit, tmp_path / "maps.png")
    width, height = read_png_size(path)
    assert height >= 3 * 100  # input + two conv layers
    assert width >= 6 * 90  # up to six maps in a row
    with pytest.raises(ValueError, match="no Conv2d"):
        plot_feature_maps(nn.Sequential(nn.Linear(784, 10)), digit, tmp_path / "none.png")
