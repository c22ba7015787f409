# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,jupyter,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5: write a new op, and prove its gradient right
#
# Every op in tinygrad_edu is a `Function` with a `forward` (NumPy arrays in, an array out)
# and a `backward` (the gradient of the output in, one gradient per input out). We add
# **softplus**, $\ln(1 + e^x)$, a smooth ReLU, and then make every mistake on purpose to see
# how the tools catch it. (The full walk-through: `docs/adding_an_op.md`.)

# %%
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Function, Tensor
from tinygrad_edu.debug.check_op import check_op
from tinygrad_edu.nn import functional as F

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_5_new_op, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson5")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## The op
#
# Math first: $\frac{d}{dx} \ln(1 + e^x) = \frac{e^x}{1 + e^x} = \sigma(x)$. And a stable
# forward: $\ln(1 + e^{-|x|}) + \max(x, 0)$ never overflows.


# %%
class Softplus(Function):
    """Softplus, elementwise.
    forward:  y = ln(1 + eˣ) = ln(1 + e^(−|x|)) + max(x, 0)
    backward: ∂L/∂x = ∂L/∂y · σ(x)
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid()


x = Tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0])
print(Softplus.apply(x))

# %% [markdown]
# ## `check_op`: every contract a built-in op meets
#
# Shapes and dtypes (float32 stays float32), the gradient against central differences
# (`gradcheck`, in float64, with a random upstream gradient), second derivatives
# (`gradgradcheck`), and, for ops with several inputs, broadcasting on shapes drawn by
# hypothesis.

# %%
print(check_op(lambda x: Softplus.apply(x), (3, 4), name="softplus"))


# %% [markdown]
# ## A wrong backward
#
# Differentiate once too often, $\sigma(x)(1 - \sigma(x))$ instead of $\sigma(x)$, and see
# which check fails and what it says.


# %%
class SoftplusWrong(Softplus):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * s * (1 - s)


report = check_op(lambda x: SoftplusWrong.apply(x), (3, 4), name="softplus_wrong")
print(report)
print("ok?", report.ok)

# %% [markdown]
# ## Finding the wrong op inside a model: `tg.check_graph`
#
# `gradcheck` of a whole loss tells you *that* something is wrong. `tg.check_graph(fn, *inputs)`
# runs `fn`, then checks every op it recorded, each alone, on the inputs it actually saw, and
# names the first op whose backward disagrees, with your line of code.

# %%
rng = np.random.default_rng(0)
images = Tensor(rng.normal(size=(8, 5)))
labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])
w1 = Tensor(rng.normal(size=(5, 4)) * 0.5, requires_grad=True, name="w1")
w2 = Tensor(rng.normal(size=(4, 3)) * 0.5, requires_grad=True, name="w2")


def loss_fn(w1, w2):
    hidden = SoftplusWrong.apply(images @ w1)
    logits = hidden @ w2
    return F.cross_entropy(logits, labels)


try:
    tg.gradcheck(loss_fn, [w1, w2])
except tg.GradcheckError as error:
    print("gradcheck of the whole loss:", str(error).splitlines()[0], "\n")

report = tg.check_graph(loss_fn, w1, w2)
print(report)

# %% [markdown]
# Where the culprit sits in the graph (op 2, between the two matrix products):

# %%
show(viz.draw_graph(loss_fn(w1, w2), show_values=False), "model_graph")

# %% [markdown]
# ## Kinks are not bugs
#
# ReLU has no derivative at exactly 0: from the left the slope is 0, from the right 1. The
# engine picks 0 (a convention, like PyTorch). `check_graph` notices that the two one-sided
# slopes differ and reports a *kink*, not an error.

# %%
z = Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, name="z")
print(tg.check_graph(lambda z: (z.relu() * 3).sum(), z))

# %% [markdown]
# ## Exercises
#
# 1. Write `Square` ($x^2$) with the bug `grad_output * x` (forgot the 2). What does `check_op` say?
# 2. Write a two-input op `SmoothMax(a, b) = ln(eᵃ + eᵇ)` and run `check_op(fn, (2, 3), (3,))`:
#    the broadcasting check draws other shapes too.
# 3. Forget `ctx.save_for_backward` and use a Python attribute instead. Which check catches it?

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.

# %% [markdown] tags=["solution"]
# ### Solution 1: `Square` without its 2
#
# <details><summary>Hint</summary>
#
# Which check compares the backward with the slope measured from the forward alone?
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
class SquareWrong(Function):
    """y = x², with the classic mistake: backward forgets the 2 of ∂y/∂x = 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x  # should be grad_output * 2 * x


square_report = check_op(lambda x: SquareWrong.apply(x), (3, 4), name="square_wrong")
print(square_report)
# gradcheck fails, and its numbers give the bug away: every analytic value is exactly half the numerical one.
# Shapes and dtypes pass (a wrong formula can have the right shape), and so does gradgradcheck, which only
# checks that the backward is differentiated consistently with itself.
assert [check.name for check in square_report.failures] == ["gradcheck"]

# %% [markdown] tags=["solution"]
# ### Solution 2: a two-input op, `SmoothMax`
#
# <details><summary>Hint</summary>
#
# $\partial y/\partial a = e^a / (e^a + e^b) = \sigma(a - b)$, and $\partial y/\partial b =
# \sigma(b - a)$. Return gradients shaped like the broadcast output: the engine sums them back to
# each input's shape.
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
class SmoothMax(Function):
    """A smooth maximum of two tensors, elementwise, with broadcasting.
    forward:  y = ln(eᵃ + eᵇ) = m + ln(e^(a−m) + e^(b−m)),  m = max(a, b)
    backward: ∂L/∂a = ∂L/∂y · σ(a − b),  ∂L/∂b = ∂L/∂y · σ(b − a)
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        m = np.maximum(a, b)
        return m + np.log(np.exp(a - m) + np.exp(b - m))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * (a - b).sigmoid(), grad_output * (b - a).sigmoid()


smooth_report = check_op(lambda a, b: SmoothMax.apply(a, b), (2, 3), (3,), name="smooth_max")
print(smooth_report)
print(SmoothMax.apply(Tensor([0.0, 1000.0]), Tensor([0.0, -1000.0])), "(ln 2 and 1000: no overflow)")
assert smooth_report.ok

# %% [markdown] tags=["solution"]
# ### Solution 3: a Python attribute instead of `save_for_backward`
#
# <details><summary>Hint</summary>
#
# A plain attribute holds a NumPy array, not the input Tensor. What does `backward` then compute
# from, when its own graph is recorded (`create_graph=True`)?
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
class SoftplusAttribute(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x  # a NumPy array on ctx, cut off from the graph
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * Tensor(ctx.x).sigmoid()  # a constant as far as the graph knows


attribute_report = check_op(lambda x: SoftplusAttribute.apply(x), (3, 4), name="softplus_attribute")
print(attribute_report)
# The first derivative is right (gradcheck passes), so training would work; but the second derivative is
# 0 everywhere ("analytic 0"): σ(x) was computed from a constant, so nothing connects it back to x.
# Only gradgradcheck catches it. save_for_backward hands back the input Tensor, and the graph stays whole.
assert [check.name for check in attribute_report.failures] == ["gradgradcheck"]
