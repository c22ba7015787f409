"""Optional cross-check against PyTorch: the same values and gradients, op by op, in float64.

Runs only where PyTorch happens to be installed (it is never a requirement); the rest of the
suite checks every op against NumPy and central differences. This module pins down the
conventions that differences cannot decide: gradients at kinks (ReLU, abs, clip at 0 or at a
bound), how ties share a gradient (max, maximum), and the exact losses.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor

torch = pytest.importorskip("torch")
tF = torch.nn.functional

RNG = np.random.default_rng(0)
KINKS = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 3.0])  # zeros and the clip bounds ±1
OTHER = np.array([0.0, -1.0, 0.0, 1.0, 1.0, 3.0, -3.0])  # ties with KINKS at three places
MASK = RNG.standard_normal((3, 4)) > 0
INDEX = np.array([0, 2, 2, 1])  # a repeated index: its gradients add up
TARGETS = np.array([1, 0, 3])
PROBABILITIES = RNG.uniform(size=(3, 4))
LABELS = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)


def normal(*shape: int, scale: float = 1.0) -> np.ndarray:
    return RNG.standard_normal(shape) * scale


# name, our function, PyTorch's function, the float64 inputs
CASES = [
    ("relu at 0", lambda a: a.relu(), lambda a: a.relu(), [KINKS]),
    ("abs at 0", lambda a: a.abs(), lambda a: a.abs(), [KINKS]),
    ("leaky_relu at 0", lambda a: a.leaky_relu(0.1), lambda a: tF.leaky_relu(a, 0.1), [KINKS]),
    ("clip at its bounds", lambda a: a.clip(-1.0, 1.0), lambda a: a.clamp(-1.0, 1.0), [KINKS]),
    ("maximum with ties", lambda a, b: a.maximum(b), lambda a, b: torch.maximum(a, b), [KINKS, OTHER]),
    ("max with ties", lambda a: a.max(axis=0), lambda a: a.amax(dim=0), [np.array([[1.0, 2.0], [1.0, 0.0]])]),
    ("min over an axis", lambda a: a.min(axis=1), lambda a: a.amin(dim=1), [normal(3, 4)]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [np.abs(KINKS) + 0.5]),
    ("log", lambda a: a.log(), lambda a: a.log(), [np.abs(KINKS) + 0.1]),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [KINKS]),
    ("sin · cos", lambda a: a.sin() * a.cos(), lambda a: a.sin() * a.cos(), [KINKS]),
    ("square of a negative base", lambda a: a**2.0, lambda a: a**2.0, [KINKS]),
    ("power, both inputs", lambda a, b: a**b, lambda a, b: a**b, [np.abs(KINKS) + 0.5, OTHER]),
    ("2 ** x", lambda a: 2.0**a, lambda a: 2.0**a, [KINKS]),
    ("division", lambda a, b: a / b, lambda a, b: a / b, [KINKS, np.abs(OTHER) + 1]),
    ("sigmoid of ±600", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [KINKS * 300]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [KINKS]),
    ("softmax", lambda a: a.softmax(axis=0), lambda a: a.softmax(dim=0), [normal(3, 4)]),
    (
        "log_softmax of large logits",
        lambda a: a.log_softmax(),
        lambda a: a.log_softmax(dim=-1),
        [normal(3, 4, scale=100)],
    ),
    (
        "mean over an axis tuple, keepdims",
        lambda a: a.mean(axis=(0, 2), keepdims=True),
        lambda a: a.mean(dim=(0, 2), keepdim=True),
        [normal(2, 3, 4)],
    ),
    ("sum of everything", lambda a: a.sum(), lambda a: a.sum(), [normal(3, 4)]),
    ("vector @ matrix", lambda a, b: a @ b, lambda a, b: a @ b, [normal(3), normal(3, 4)]),
    ("vector @ vector", lambda a, b: a @ b, lambda a, b: a @ b, [normal(3), normal(3)]),
    ("batched matmul, broadcast batch", lambda a, b: a @ b, lambda a, b: a @ b, [normal(2, 1, 3, 4), normal(5, 4, 2)]),
    ("repeated integer index", lambda a: a[INDEX], lambda a: a[torch.tensor(INDEX)], [normal(3, 2)]),
    ("boolean mask", lambda a: a[MASK], lambda a: a[torch.tensor(MASK)], [normal(3, 4)]),
    ("slices, None and ...", lambda a: a[1:, None, ..., ::2], lambda a: a[1:, None, ..., ::2], [normal(3, 4, 5)]),
    (
        "where, broadcast",
        lambda a, b: tg.where(Tensor(MASK), a, b),
        lambda a, b: torch.where(torch.tensor(MASK), a, b),
        [normal(3, 4), normal(4)],
    ),
    (
        "concatenate",
        lambda a, b: tg.concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        [normal(3, 4), normal(3, 2)],
    ),
    (
        "stack",
        lambda a, b: tg.stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
        [normal(3, 4), normal(3, 4)],
    ),
    ("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [normal(2, 3, 4)]),
    ("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [normal(2, 3, 4)]),
    ("broadcast_to", lambda a: a.broadcast_to((3, 2, 4)), lambda a: a.broadcast_to((3, 2, 4)), [normal(2, 1)]),
    (
        "cross_entropy with label smoothing",
        lambda a: F.cross_entropy(a, TARGETS, label_smoothing=0.1),
        lambda a: tF.cross_entropy(a, torch.tensor(TARGETS), label_smoothing=0.1),
        [normal(3, 4)],
    ),
    (
        "cross_entropy, reduction none",
        lambda a: F.cross_entropy(a, TARGETS, reduction="none"),
        lambda a: tF.cross_entropy(a, torch.tensor(TARGETS), reduction="none"),
        [normal(3, 4)],
    ),
    (
        "nll_loss of log_softmax",
        lambda a: F.nll_loss(a.log_softmax(), TARGETS),
        lambda a: tF.nll_loss(a.log_softmax(dim=-1), torch.tensor(TARGETS)),
        [normal(3, 4)],
    ),
    (
        "binary_cross_entropy",
        lambda a: F.binary_cross_entropy(a, LABELS),
        lambda a: tF.binary_cross_entropy(a, torch.tensor(LABELS)),
        [PROBABILITIES],
    ),
    (
        "binary_cross_entropy at 0 and 1 (log clamped)",
        lambda a: F.binary_cross_entropy(a, LABELS),
        lambda a: tF.binary_cross_entropy(a, torch.tensor(LABELS)),
        [1.0 - LABELS],
    ),
    (
        "binary_cross_entropy_with_logits of large logits",
        lambda a: F.binary_cross_entropy_with_logits(a, LABELS),
        lambda a: tF.binary_cross_entropy_with_logits(a, torch.tensor(LABELS)),
        [normal(3, 4, scale=50)],
    ),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: tF.mse_loss(a, b), [normal(3, 4), normal(3, 4)]),
    # convolution and pooling (NCHW, OIHW weights)
    ("conv2d with bias", F.conv2d, tF.conv2d, [normal(2, 3, 7, 6), normal(4, 3, 3, 2), normal(4)]),
    (
        "conv2d stride, padding, dilation",
        lambda x, w: F.conv2d(x, w, stride=(2, 3), padding=(2, 1), dilation=(2, 1)),
        lambda x, w: tF.conv2d(x, w, stride=(2, 3), padding=(2, 1), dilation=(2, 1)),
        [normal(2, 2, 9, 8), normal(3, 2, 3, 3)],
    ),
    (
        "conv2d groups",
        lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3),
        lambda x, w, b: tF.conv2d(x, w, b, padding=1, groups=3),
        [normal(2, 6, 5, 5), normal(9, 2, 3, 3), normal(9)],
    ),
    (
        "conv2d depthwise, stride 2",
        lambda x, w: F.conv2d(x, w, stride=2, groups=4),
        lambda x, w: tF.conv2d(x, w, stride=2, groups=4),
        [normal(1, 4, 8, 7), normal(4, 1, 3, 3)],
    ),
    ("max_pool2d", lambda a: F.max_pool2d(a, 2), lambda a: tF.max_pool2d(a, 2), [normal(2, 3, 6, 7)]),
    (
        "max_pool2d with ties (the first maximum of a window)",
        lambda a: F.max_pool2d(a, 2),
        lambda a: tF.max_pool2d(a, 2),
        [np.round(RNG.uniform(0, 2, (2, 2, 6, 6)))],
    ),
    (
        "max_pool2d overlapping windows, padding",
        lambda a: F.max_pool2d(a, 3, stride=2, padding=1),
        lambda a: tF.max_pool2d(a, 3, stride=2, padding=1),
        [normal(2, 2, 7, 6)],
    ),
    ("avg_pool2d", lambda a: F.avg_pool2d(a, 2), lambda a: tF.avg_pool2d(a, 2), [normal(2, 3, 6, 7)]),
    (
        "avg_pool2d overlapping windows, padding",
        lambda a: F.avg_pool2d(a, (3, 2), stride=(2, 1), padding=1),
        lambda a: tF.avg_pool2d(a, (3, 2), stride=(2, 1), padding=1),
        [normal(2, 2, 7, 6)],
    ),
]


# PyTorch clamps p·(1 − p) at 1e-12 rounded to float32 (9.99999996e-13), we at 1e-12 itself:
# at p = 0 or 1 the gradients differ by that rounding, 4e-9 relative.
RTOL = {"binary_cross_entropy at 0 and 1 (log clamped)": 1e-8}


@pytest.mark.parametrize("name, ours, theirs, arrays", CASES, ids=[case[0] for case in CASES])
def test_values_and_gradients_match_pytorch(name, ours, theirs, arrays):
    our_inputs = [Tensor(array.copy(), requires_grad=True) for array in arrays]
    their_inputs = [torch.tensor(array.copy(), requires_grad=True) for array in arrays]
    our_output = ours(*our_inputs)
    their_output = theirs(*their_inputs)
    np.testing.assert_allclose(our_output.data, their_output.detach().numpy(), rtol=1e-10, atol=1e-12)

    upstream = RNG.standard_normal(our_output.shape)  # a random ∂L/∂output, not just ones
    our_output.backward(upstream)
    their_output.backward(torch.tensor(upstream))
    for index, (mine, theirs_input) in enumerate(zip(our_inputs, their_inputs)):
        np.testing.assert_allclose(
            mine.grad.data,
            theirs_input.grad.numpy(),
            rtol=RTOL.get(name, 1e-10),
            atol=1e-12,
            err_msg=f"{name}: gradient of input {index}",
        )


def test_a_cnn_state_dict_loads_into_the_same_torch_sequential():
    """A CNN built here, its state dict loaded into torch.nn.Sequential: the same logits."""
    from tinygrad_edu import nn

    ours = nn.Sequential(
        nn.Conv2d(1, 4, 5, padding=2, generator=np.random.default_rng(0), dtype=np.float64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, groups=2, generator=np.random.default_rng(1), dtype=np.float64),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 10, generator=np.random.default_rng(2), dtype=np.float64),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, groups=2),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 2 * 2, 10),
    ).double()
    theirs.load_state_dict({key: torch.tensor(value) for key, value in ours.state_dict().items()})
    images = normal(3, 1, 12, 12)
    np.testing.assert_allclose(ours(Tensor(images)).data, theirs(torch.tensor(images)).detach().numpy(), rtol=1e-10)
