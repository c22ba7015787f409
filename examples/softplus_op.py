"""Adding an op end to end: softplus, its gradient proved right, and a wrong one caught.

    python examples/softplus_op.py

The walk-through that goes with it is docs/adding_an_op.md (the code blocks there are this
file, in pieces).
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Function, Tensor
from tinygrad_edu.debug.check_op import check_op


class Softplus(Function):
    """Softplus, a smooth ReLU, elementwise.
    forward:  y = ln(1 + eˣ) = ln(1 + e^(−|x|)) + max(x, 0)     (never overflows)
    backward: ∂L/∂x = ∂L/∂y · σ(x)
    jvp:      ẏ = ẋ · σ(x)
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid()

    @staticmethod
    def jvp(ctx, x_dot):
        (x,) = ctx.saved_tensors
        return x_dot * x.sigmoid()


def softplus(x):
    return Softplus.apply(x)


x = Tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0])
print(softplus(x))

report = check_op(softplus, (3, 4), name="softplus")
print(report)
assert report.ok


class SoftplusWrong(Function):
    """The same forward; the backward uses eˣ/(1 + eˣ)² (that is σ'(x), one derivative too many)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * s * (1 - s)


report = check_op(lambda x: SoftplusWrong.apply(x), (3, 4), name="softplus_wrong")
print(report)
assert not report.ok


rng = np.random.default_rng(0)
images = Tensor(rng.normal(size=(8, 5)), name="images")
labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])
w1 = Tensor(rng.normal(size=(5, 4)) * 0.5, requires_grad=True, name="w1")
w2 = Tensor(rng.normal(size=(4, 3)) * 0.5, requires_grad=True, name="w2")


def loss_fn(w1, w2):
    hidden = SoftplusWrong.apply(images @ w1)
    logits = hidden @ w2
    return tg.nn.functional.cross_entropy(logits, labels)


report = tg.check_graph(loss_fn, w1, w2)
print(report)
assert report.first_failure.name == "SoftplusWrong"


x = Tensor(np.array([-1.0, 0.0, 2.0]))
y, y_dot = tg.jvp(softplus, x, Tensor(np.array([1.0, 1.0, 1.0])))
print(y_dot)


class SoftplusWrongJvp(Softplus):
    """Softplus's forward and backward; the jvp forgets the tangent: ẏ = σ(x) instead of ẋ · σ(x)."""

    @staticmethod
    def jvp(ctx, x_dot):
        (x,) = ctx.saved_tensors
        return x.sigmoid()


report = check_op(lambda x: SoftplusWrongJvp.apply(x), (3, 4), name="softplus_wrong_jvp")
print(report)
assert not report.ok


x = Tensor(rng.normal(size=5))
by_columns = tg.jacobian(softplus, x, mode="forward")  # 5 jvp passes, one per input element
by_rows = tg.jacobian(softplus, x, mode="reverse")  # 5 backward passes, one per output element
print(np.allclose(by_columns.data, by_rows.data), np.allclose(by_columns.data, np.diag(x.sigmoid().data)))
