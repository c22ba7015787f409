"""Losses, activations, softmax, one_hot and dropout as plain functions (``tg.nn.functional``,
imported as F, as in PyTorch).

    import tinygrad_edu.nn.functional as F
    loss = F.cross_entropy(model(x), labels)          # logits (N, C), integer labels (N,)
    h = F.relu(x @ w.T)

Every loss takes ``reduction="mean" | "sum" | "none"`` as PyTorch does: the mean or the
sum of the per-element losses, or the per-element losses themselves.

Dtypes: a target given as a NumPy array, list or number takes the input's floating dtype,
so ``F.mse_loss(float32 output, float64 array)`` is a float32 loss (NumPy's float64 default
does not upcast a float32 model); a target given as a Tensor promotes as NumPy and PyTorch
do (float32 with float64 gives float64).
(There is no F.gelu: no GELU op exists yet.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..errors import DTypeError, ShapeError
from ..ops.conv import conv2d as conv2d  # one definition, beside the ops
from ..ops.fused import Affine, BinaryCrossEntropy, CrossEntropy
from ..ops.pool import avg_pool2d as avg_pool2d
from ..ops.pool import max_pool2d as max_pool2d
from ..torch_api.arguments import axis_or_dim
from ..torch_api.combine import stack, where
from ..torch_api.functions import relu as relu  # F.relu is tg.relu (the "as" marks a re-export)
from ..torch_api.functions import sigmoid as sigmoid
from ..torch_api.functions import tanh as tanh
from ..torch_api.random import generator_or_default

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(function: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{function}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _as_tensor(value: Any) -> Tensor:
    if type(value) is int:  # a number (Tensor(5) would be five zeros, PyTorch's sizes)
        return Tensor(float(value))
    return value if isinstance(value, Tensor) else Tensor(value)


def _class_targets(function: str, targets: Any, count: int, classes: int) -> np.ndarray:
    """Check integer class targets for (count, classes) scores; return them as an int array."""
    array = targets._data if isinstance(targets, Tensor) else np.asarray(targets)
    if array.dtype.kind not in "iu":
        raise DTypeError(
            f"{function}: targets must be integer class indices, got dtype {array.dtype}; "
            "convert them, e.g. labels.astype(np.int64)"
        )
    if array.shape != (count,):
        raise ShapeError(
            f"{function}: targets of shape {array.shape} do not match scores of shape ({count}, {classes}); "
            f"expected one class index per row, shape ({count},)"
        )
    if array.size and (array.min() < 0 or array.max() >= classes):
        bad = array[(array < 0) | (array >= classes)][0]
        raise IndexError(f"{function}: target {bad} is out of range: class indices must lie in [0, {classes - 1}]")
    return array


def _check_scores(function: str, scores: Tensor) -> None:
    if scores.ndim != 2:
        raise ShapeError(
            f"{function}: expected scores of shape (N, C) (a batch of N rows over C classes), "
            f"got shape {scores.shape}; for a single example use x.reshape(1, -1)"
        )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x · Wᵀ + b, the fully connected layer (weight: (out_features, in_features)).

    With a bias it is the single op ``ops.nn.Affine``; without one, x @ weight.T.
    """
    if bias is None:
        return _as_tensor(x) @ weight.T
    return Affine.apply(x, weight, bias)


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits (N, C) and targets: log-softmax, then the negative log-likelihood.

        ℓᵢ = −Σ꜀ qᵢ꜀ · log softmax(xᵢ)꜀,   qᵢ꜀ = (1 − ε)·pᵢ꜀ + ε/C   (ε = label_smoothing)

    The targets are either integer class indices (N,), then pᵢ꜀ = [c = tᵢ], or class
    probabilities (N, C) of a floating dtype, then pᵢ꜀ is given (PyTorch's two forms; "mean" is
    the sum of ℓᵢ over N in both, as PyTorch without class weights). Computed stably (the row
    maximum is subtracted), so logits of any size give finite values. Class indices go through
    the single op ``ops.nn.CrossEntropy``; probabilities through Tensor ops.
    """
    _check_reduction("cross_entropy", reduction)
    logits = _as_tensor(logits)
    _check_scores("cross_entropy", logits)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    target_dtype = targets.dtype if isinstance(targets, Tensor) else np.asarray(targets).dtype
    if target_dtype.kind == "f":
        return _cross_entropy_with_probabilities(logits, targets, reduction, label_smoothing)
    target_array = _class_targets("cross_entropy", targets, *logits.shape)
    return CrossEntropy.apply(logits, target_array, reduction=reduction, label_smoothing=label_smoothing)


def _cross_entropy_with_probabilities(logits: Tensor, targets: Any, reduction: str, label_smoothing: float) -> Tensor:
    """ℓᵢ = −Σ꜀ qᵢ꜀ · log softmax(xᵢ)꜀ with q = (1 − ε)·p + ε/C, for probability targets p (N, C)."""
    probabilities = logits._operand(targets, "cross_entropy")
    if probabilities.shape != logits.shape:
        raise DTypeError(
            f"cross_entropy: targets must be integer class indices of shape ({logits.shape[0]},), or class "
            f"probabilities of the logits' shape {logits.shape}; got dtype {probabilities.dtype} of shape "
            f"{probabilities.shape}; convert class indices with labels.long()"
        )
    if label_smoothing > 0:
        probabilities = probabilities * (1 - label_smoothing) + label_smoothing / logits.shape[1]
    losses = -(probabilities * logits.log_softmax(axis=1)).sum(axis=1)
    return _reduce(losses, reduction)


def nll_loss(log_probabilities: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer targets, given log-probabilities (N, C).

        ℓᵢ = −log pᵢₜᵢ        (pick each row's target entry and negate it)

    ``nll_loss(log_softmax(x), t)`` equals ``cross_entropy(x, t)``.
    """
    _check_reduction("nll_loss", reduction)
    log_probabilities = _as_tensor(log_probabilities)
    _check_scores("nll_loss", log_probabilities)
    target_array = _class_targets("nll_loss", targets, *log_probabilities.shape)
    rows = np.arange(log_probabilities.shape[0])
    return _reduce(-log_probabilities[rows, target_array], reduction)


def _check_same_shape(function: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ShapeError(
            f"{function}: input of shape {input.shape} and target of shape {target.shape} must have the same shape"
        )


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error:  ℓᵢ = (xᵢ − yᵢ)²."""
    _check_reduction("mse_loss", reduction)
    input = _as_tensor(input)
    target = input._operand(target, "mse_loss")
    _check_same_shape("mse_loss", input, target)
    difference = input - target
    return _reduce(difference * difference, reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities p ∈ [0, 1] against targets y ∈ [0, 1]:

        ℓᵢ = −(yᵢ · ln pᵢ + (1 − yᵢ) · ln(1 − pᵢ)),   each log clamped at −100 as in PyTorch

    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is stable without clamping.
    """
    _check_reduction("binary_cross_entropy", reduction)
    input = _as_tensor(input)
    target = input._operand(target, "binary_cross_entropy")
    _check_same_shape("binary_cross_entropy", input, target)
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1], got values in "
            f"[{input.data.min()}, {input.data.max()}]; apply sigmoid first, or use binary_cross_entropy_with_logits"
        )
    return _reduce(BinaryCrossEntropy.apply(input, target), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of σ(x) against y, computed from the logits x in the stable form

        ℓᵢ = max(xᵢ, 0) − xᵢ · yᵢ + ln(1 + exp(−|xᵢ|))

    which equals −(y · ln σ(x) + (1 − y) · ln(1 − σ(x))) but never overflows (exp(−|x|) ≤ 1).
    NOTE: at x = ±∞ the formula gives ∞ − ∞; the limit is used instead: ℓ → |x| · (1 − y) as
    x → +∞ and |x| · y as x → −∞, so 0 where the target agrees (y = 1 at +∞, y = 0 at −∞) and
    +∞ otherwise. Those entries pass no gradient (the limit of σ(x) − y is 0 where ℓ is finite).
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    input = _as_tensor(input)
    target = input._operand(target, "binary_cross_entropy_with_logits")
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    infinite = np.isinf(input._data)
    if infinite.any():
        limit = _infinite_logit_limit(input._data, target._data)
        input = where(infinite, 0.0, input)  # the formula then sees no ∞; the limit is put back below
    losses = input.maximum(0.0) - input * target + (1 + (-input.abs()).exp()).log()
    if infinite.any():
        losses = where(infinite, limit, losses)
    return _reduce(losses, reduction)


def _infinite_logit_limit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ at x = ±∞: |x| · (1 − y) at +∞ and |x| · y at −∞, which is 0 where that factor is 0."""
    factor = np.where(x > 0, 1 - y, y)
    with np.errstate(invalid="ignore"):
        return np.where(factor == 0, 0, np.abs(x) * factor).astype(x.dtype, copy=False)


def implicit_softmax_axis(function: str, ndim: int) -> int:
    """The axis PyTorch picks when softmax is given no dim (its legacy rule, with its warning):
    axis 0 for 0-, 1- and 3-D input, else axis 1 (the class axis of (N, C) and (N, C, H, W))."""
    axis = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"{function}: implicit dimension choice for softmax has been deprecated (as in PyTorch): "
        f"for {ndim}-D input it is dim={axis}. Change the call to include dim={axis} as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return axis


def softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along ``axis`` (or dim=), computed stably. See ``ops.nn.Softmax``.
    NOTE: with no axis, PyTorch's legacy choice (implicit_softmax_axis): axis 0 for 0/1/3-D input,
    else axis 1, with a warning; give dim= to choose."""
    x = _as_tensor(x)
    chosen = axis_or_dim("softmax", axis, dim)
    return x.softmax(implicit_softmax_axis("softmax", x.ndim) if chosen is None else chosen)


def log_softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """yᵢ = xᵢ − ln Σⱼ exp(xⱼ) along ``axis`` (or dim=), computed stably. See ``ops.nn.LogSoftmax``.
    NOTE: with no axis, PyTorch's legacy choice, as softmax."""
    x = _as_tensor(x)
    chosen = axis_or_dim("log_softmax", axis, dim)
    return x.log_softmax(implicit_softmax_axis("log_softmax", x.ndim) if chosen is None else chosen)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over channel axis 1 of (N, C), (N, C, L) or (N, C, H, W):

        x̂ = (x − μ) / √(σ² + ε),   y = γ · x̂ + β       (γ = weight, β = bias, per channel)

    In training, μ and σ² are the mean and the *biased* variance of each channel over the batch
    (and the spatial axes), and the running statistics move towards them, in place:

        running_mean ← (1 − m) · running_mean + m · μ
        running_var  ← (1 − m) · running_var  + m · σ² · n / (n − 1)    (unbiased, n values per channel)

    (m = momentum; nn.BatchNorm with momentum=None passes m = 1 / num_batches_tracked, the
    cumulative average). Out of training, μ and σ² are the running statistics. Built from Tensor
    ops, so gradients flow through μ and σ² too.
    """
    input = _as_tensor(input)
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, channels) + (1,) * (input.ndim - 2)  # per-channel values broadcast along axis 1
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        count = input.data.size // channels if channels else 0
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                f"{input.shape}; use a batch of at least 2 examples, or call model.eval()"
            )
        mean = input.mean(axis=axes, keepdims=True)
        centered = input - mean
        variance = (centered * centered).mean(axis=axes, keepdims=True)
        if training and running_mean is not None and running_var is not None:
            m = momentum
            batch_mean = mean._data.reshape(channels)
            unbiased = variance._data.reshape(channels) * (count / (count - 1))
            running_mean.data = ((1 - m) * running_mean._data + m * batch_mean).astype(running_mean.dtype)
            running_var.data = ((1 - m) * running_var._data + m * unbiased).astype(running_var.dtype)
    else:
        assert running_mean is not None and running_var is not None, "checked above"
        centered = input - running_mean.reshape(shape)
        variance = running_var.reshape(shape)
    normalized = centered / (variance + eps).sqrt()
    if weight is not None:
        normalized = normalized * weight.reshape(shape)
    if bias is not None:
        normalized = normalized + bias.reshape(shape)
    return normalized


def adaptive_avg_pool2d(input: Tensor, output_size: int | None | tuple[int | None, int | None]) -> Tensor:
    """Average pooling to a chosen output size (OH, OW), whatever the input's (H, W):

        y[n, c, i, j] = mean of x[n, c, ⌊i·H/OH⌋ : ⌈(i+1)·H/OH⌉, ⌊j·W/OW⌋ : ⌈(j+1)·W/OW⌉]

    (PyTorch's windows). When OH divides H and OW divides W this is avg_pool2d with kernel and
    stride (H/OH, W/OW); (1, 1) is the mean over each channel. None in output_size keeps that size.
    """
    input = _as_tensor(input)
    if input.ndim != 4:
        raise ShapeError(f"adaptive_avg_pool2d: expected input of shape (N, C, H, W), got shape {input.shape}")
    height, width = input.shape[2:]
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    out_height = height if sizes[0] is None else int(sizes[0])
    out_width = width if sizes[1] is None else int(sizes[1])
    if out_height < 1 or out_width < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size!r}")
    if height % out_height == 0 and width % out_width == 0:
        kernel = (height // out_height, width // out_width)
        return avg_pool2d(input, kernel, kernel)
    rows = []
    for i in range(out_height):
        top, bottom = (i * height) // out_height, -((-(i + 1) * height) // out_height)
        row = []
        for j in range(out_width):
            left, right = (j * width) // out_width, -((-(j + 1) * width) // out_width)
            row.append(input[:, :, top:bottom, left:right].mean(axis=(2, 3)))
        rows.append(stack(row, axis=-1))
    return stack(rows, axis=-2)


# ----- activations: the Tensor methods, under PyTorch's functional names --------------------------
# F.relu, F.sigmoid and F.tanh are tg.relu, tg.sigmoid and tg.tanh (imported above).


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """y = x if x > 0 else negative_slope · x. See ``ops.elementwise.LeakyReLU``."""
    return _as_tensor(input).leaky_relu(negative_slope)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices of any shape (…) -> int64 rows of shape (…, num_classes), with a 1 at
    each index and 0 elsewhere (as torch's F.one_hot). num_classes=-1: one more than the largest index.
    Use ``.float()`` on the result to compare it with probabilities."""
    indices = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if indices.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: needs integer class indices, got dtype {indices.dtype}; use labels.long()")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes=")
        num_classes = int(indices.max()) + 1
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise IndexError(
            f"one_hot: class indices must lie in [0, {num_classes - 1}], got [{indices.min()}, {indices.max()}]"
        )
    return Tensor((indices[..., None] == np.arange(num_classes)).astype(np.int64))


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1/(1 − p) ("inverted"
    dropout, as PyTorch), so the expected value is unchanged and evaluation needs no rescaling.

        y = x · m / (1 − p),   mᵢ ~ Bernoulli(1 − p), drawn from ``generator``
        ∂L/∂x = ∂L/∂y · m / (1 − p)

    With training=False (or p = 0) x is returned unchanged. The mask comes from ``generator``,
    else from the default generator that tg.manual_seed seeds.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p is a probability and must lie in [0, 1], got {p}")
    x = _as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = generator_or_default(generator).random(x.shape) >= p
    scale = keep.astype(x.dtype) / np.asarray(1 - p, dtype=x.dtype)
    return x * scale
