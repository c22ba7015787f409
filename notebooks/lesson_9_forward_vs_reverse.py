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
# # Lesson 9: forward mode and reverse mode
#
# Backpropagation is *reverse mode*: it starts at the output and walks the graph backwards.
# There is a second way to apply the chain rule, **forward mode**: start at the inputs and
# carry, next to every value, how fast it changes (its *tangent*). Both give exact
# derivatives; they differ in what one pass gives you, and so in what they cost. In this lesson we
#
# 1. do forward mode by hand with **dual numbers**,
# 2. use the engine's forward mode, `tg.jvp`, and compare it with `backward`,
# 3. build a Jacobian **by columns** (forward) and **by rows** (reverse) with `tg.jacobian`,
# 4. time both for many inputs and one output, and for one input and many outputs,
#    and see why training neural networks uses reverse mode.
#
# For the class: 45 minutes, after lesson 1 (the chain rule) and lesson 8 (matrices).

# %%
import math
import time

import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor
from tinygrad_edu.ops.elementwise import Mul

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_9_forward_vs_reverse, from the repository
    from notebooks.lesson_tools import Pictures

np.set_printoptions(precision=4, suppress=True)
pictures = Pictures("lesson9")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## Dual numbers: a value and its tangent, side by side
#
# Take $f(a, b) = a \cdot b + \sin a$ at $a = 2$, $b = 3$. Instead of the number $a$, carry the
# pair $(a, \dot a)$: the value and how fast it moves. Start with $\dot a = 1$, $\dot b = 0$
# ("move $a$, hold $b$"). Each operation computes its value as usual, and its tangent from its
# inputs' tangents with its local derivatives, the chain rule *forwards*:
#
# | operation | value | tangent |
# |---|---|---|
# | $u + v$ | $u + v$ | $\dot u + \dot v$ |
# | $u \cdot v$ | $u v$ | $\dot u \, v + u \, \dot v$ |
# | $\sin u$ | $\sin u$ | $\cos u \cdot \dot u$ |
#
# At the end, the tangent of $f$ is $\partial f / \partial a$. Such pairs are called
# **dual numbers** ($a + \dot a\,\varepsilon$ with $\varepsilon^2 = 0$: multiply two of them
# out and the product rule appears by itself).


# %%
class Dual:
    """A value and its tangent (how fast it changes as the chosen input moves)."""

    def __init__(self, value, tangent=0.0):
        self.value, self.tangent = value, tangent

    def __add__(self, other):
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other):
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.tangent)

    def __repr__(self):
        return f"Dual(value={self.value:.6f}, tangent={self.tangent:.6f})"


def f(a, b):
    return a * b + a.sin()


print("move a:", f(Dual(2.0, 1.0), Dual(3.0, 0.0)), f"  by hand: ∂f/∂a = b + cos a = {3 + math.cos(2):.6f}")
print("move b:", f(Dual(2.0, 0.0), Dual(3.0, 1.0)), f"  by hand: ∂f/∂b = a = {2.0:.6f}")

# %% [markdown]
# One forward pass gave **one** partial derivative: the one for the input we moved. To get
# both, we ran `f` twice. Reverse mode gets both from one backward pass:

# %%
a = Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
b = Tensor(3.0, dtype=np.float64, requires_grad=True, name="b")
output = f(a, b)
output.backward()
print(f"one backward pass: ∂f/∂a = {a.grad.item():.6f}, ∂f/∂b = {b.grad.item():.6f}")

# %% [markdown]
# The same walk on the engine's graph of $f$: `viz.forward_frames(output, wrt=a)` draws one
# frame per op, in the order the ops ran, each with the tangent $d(\text{node})/da$ it just
# made (blue). Here is the last frame; `viz.forward_player(output, wrt=a)` steps through all
# of them in the notebook (and `python -m viz "a*b + sin(a)" --values a=2,b=3 --forward --wrt a`
# writes the same player as a page).

# %%
walk = viz.forward_frames(f(a, b), wrt=a)
for line in walk[-1].lines:
    print(line.full)
show(walk[-1], "forward_mode")

# %% [markdown]
# In class, step through the whole walk (click into the player, then use the arrow keys; `P`
# hides each tangent until you have predicted it). Compare with `viz.player(f(a, b))`, the
# backward walk of the same formula.

# %%
viz.forward_player(f(a, b), wrt=a)

# %% [markdown]
# ## Forward mode in the engine: `tg.jvp`
#
# Every op of the engine has, beside `forward` and `backward`, a `jvp(ctx, *input_tangents)`
# with its tangent rule in the docstring, e.g. for `Mul`:

# %%
print(Mul.__doc__)

# %% [markdown]
# `tg.jvp(fn, inputs, tangents)` runs `fn` and pushes the tangents through it, op by op in the
# order they ran, and returns the outputs and their tangents (the contract of
# `torch.func.jvp`). With tangents $(1, 0)$ it is our dual-number pass; with any direction
# $v$ it gives the **directional derivative** $J v$, the Jacobian times a vector, for about the
# price of one more forward pass.

# %%
value, tangent = tg.jvp(
    f,
    (Tensor(2.0, dtype=np.float64), Tensor(3.0, dtype=np.float64)),
    (Tensor(1.0, dtype=np.float64), Tensor(0.0, dtype=np.float64)),
)
print(f"tg.jvp: f = {value.item():.6f}, ∂f/∂a = {tangent.item():.6f}")
assert math.isclose(tangent.item(), 3 + math.cos(2))

# %% [markdown]
# ## Jacobians by columns and by rows
#
# For $f: \mathbb{R}^n \to \mathbb{R}^m$ the Jacobian $J$ is an $m \times n$ matrix,
# $J_{ij} = \partial f_i / \partial x_j$.
#
# - A forward pass with the tangent $e_j$ (move input $j$ only) gives $J e_j$: **column** $j$.
#   $n$ passes give the whole matrix.
# - A backward pass with the upstream gradient $e_i$ (only output $i$ counts) gives
#   $e_i^\top J$: **row** $i$. $m$ passes give the whole matrix.
#
# `tg.jacobian(fn, x, mode="forward")` builds it by columns, `mode="reverse"` by rows.

# %%
rng = np.random.default_rng(0)
A = Tensor(rng.normal(size=(3, 4)))


def layer(x):
    return (A @ x).tanh()  # R⁴ -> R³


x0 = Tensor(rng.normal(size=4))
by_columns = tg.jacobian(layer, x0, mode="forward")  # 4 forward passes
by_rows = tg.jacobian(layer, x0, mode="reverse")  # 3 backward passes
print("J by columns (forward mode):\n", by_columns.data)
print("J by rows (reverse mode) is the same:", np.allclose(by_columns.data, by_rows.data))
by_hand = (1 - np.tanh(A.data @ x0.data) ** 2)[:, None] * A.data  # diag(1 − y²) · A
assert np.allclose(by_columns.data, by_hand) and np.allclose(by_rows.data, by_hand)

# %% [markdown]
# ## What it costs: n inputs, m outputs
#
# Forward mode needs one pass per **input**, reverse mode one per **output**. Two functions of
# the same matrix, timed both ways:
#
# - `loss` has $n = 200$ inputs and $m = 1$ output, like a training loss of its parameters;
# - `curve` has $n = 1$ input and $m = 200$ outputs, like a trajectory of a single parameter.

# %%
n = 200
M = Tensor(rng.normal(size=(n, n)) / np.sqrt(n))
ones = Tensor(np.ones(n))


def loss(x):
    return (M @ x).tanh().sum()  # Rⁿ -> R


def curve(s):
    return (M @ (s * ones)).tanh()  # R -> Rⁿ


def best_time(fn, x, mode, repeats=3):
    """The fastest of a few runs of tg.jacobian, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tg.jacobian(fn, x, mode=mode)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


timings = {}
for name, fn, x in [
    ("loss: 200 in, 1 out", loss, Tensor(rng.normal(size=n))),
    ("curve: 1 in, 200 out", curve, Tensor([0.5])),
]:
    timings[name] = {mode: best_time(fn, x, mode) for mode in ("forward", "reverse")}
    forward_ms, reverse_ms = timings[name]["forward"], timings[name]["reverse"]
    print(
        f"{name:22}  forward {forward_ms:7.2f} ms   reverse {reverse_ms:7.2f} ms   "
        f"forward / reverse = {forward_ms / reverse_ms:.3g}"
    )

# %% [markdown]
# On the loss, reverse mode is faster by two orders of magnitude (1 backward pass against 200
# forward passes); on the curve it is the other way round. A neural network's loss has
# millions of inputs (the parameters) and one output: that is why training uses reverse
# mode, backpropagation. Forward mode wins when there are few inputs and many outputs, and
# it needs no memory of the graph going back: its tangents flow *with* the values.

# %% [markdown]
# ## Exercises
#
# 1. **Dual numbers, more ops.** Give `Dual` a `__truediv__` and an `exp`, and use it to
#    find $\partial g / \partial x$ for $g(x) = e^x / (1 + x)$ at $x = 0.5$. Check against `tg.jvp`.
# 2. **A directional derivative two ways.** For `loss` above and a random direction $v$,
#    compute $J v$ with one `tg.jvp` and with one backward pass (the gradient, dotted with $v$).
#    Why do they agree?
# 3. **The Jacobian of a square layer.** For `layer` with a (4, 4) matrix, forward and reverse
#    mode need the same number of passes. Check that both give the same Jacobian, and that its
#    rows are the gradients of the 4 outputs.
# 4. **Which mode?** A simulation maps 3 physical parameters to 2,000 measurements, and you
#    want the full Jacobian. How many passes does each mode need? Measure it on
#    `lambda p: (W @ p).tanh()` with a (2000, 3) matrix `W`.

# %% [markdown] tags=["solution"]
# ## Solutions

# %% [markdown] tags=["solution"]
# ### Solution 1: dual numbers, more ops
#
# <details><summary>Hint</summary>
# Quotient rule: the tangent of u / v is (u̇ v − u v̇) / v².
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
class DualMore(Dual):
    def __add__(self, other):
        return DualMore(self.value + other.value, self.tangent + other.tangent)

    def __truediv__(self, other):
        value = self.value / other.value
        return DualMore(value, (self.tangent * other.value - self.value * other.tangent) / other.value**2)

    def exp(self):
        return DualMore(math.exp(self.value), math.exp(self.value) * self.tangent)


def g(x, one):
    return x.exp() / (one + x)


by_dual = g(DualMore(0.5, 1.0), DualMore(1.0, 0.0)).tangent
_, by_jvp = tg.jvp(lambda x: x.exp() / (1 + x), Tensor(0.5, dtype=np.float64), Tensor(1.0, dtype=np.float64))
by_hand = math.exp(0.5) * 0.5 / 1.5**2  # g' = eˣ·x / (1 + x)²
print(f"dual numbers: {by_dual:.8f}   tg.jvp: {by_jvp.item():.8f}   by hand: {by_hand:.8f}")
assert math.isclose(by_dual, by_jvp.item()) and math.isclose(by_dual, by_hand)

# %% [markdown] tags=["solution"]
# ### Solution 2: a directional derivative two ways
#
# The gradient is the one row of $J$ (the loss has one output), so $J v = \nabla f \cdot v$:
# forward mode computes the product directly, reverse mode computes the row and we dot it.

# %% tags=["solution"] jupyter={"source_hidden": true}
point = Tensor(rng.normal(size=n), requires_grad=True)
direction = Tensor(rng.normal(size=n))
_, forward_answer = tg.jvp(loss, point, direction)
loss(point).backward()
reverse_answer = float(point.grad.data @ direction.data)
print(f"J·v by tg.jvp: {forward_answer.item():.8f}   ∇f·v by backward: {reverse_answer:.8f}")
assert math.isclose(forward_answer.item(), reverse_answer, rel_tol=1e-9)

# %% [markdown] tags=["solution"]
# ### Solution 3: the Jacobian of a square layer

# %% tags=["solution"] jupyter={"source_hidden": true}
square = Tensor(rng.normal(size=(4, 4)))
point4 = Tensor(rng.normal(size=4))
columns = tg.jacobian(lambda x: (square @ x).tanh(), point4, mode="forward")
rows = tg.jacobian(lambda x: (square @ x).tanh(), point4, mode="reverse")
assert np.allclose(columns.data, rows.data)
for i in range(4):
    leaf = Tensor(point4.data, requires_grad=True)
    (square @ leaf).tanh()[i].backward()
    assert np.allclose(leaf.grad.data, rows.data[i])
print("4 columns = 4 rows; row i is the gradient of output i")

# %% [markdown] tags=["solution"]
# ### Solution 4: which mode?
#
# Forward mode: 3 passes (one per parameter). Reverse mode: 2,000 passes (one per
# measurement). Forward mode wins by far.

# %% tags=["solution"] jupyter={"source_hidden": true}
tall = Tensor(rng.normal(size=(2_000, 3)))
parameters = Tensor(rng.normal(size=3))
simulation_ms = {
    mode: best_time(lambda p: (tall @ p).tanh(), parameters, mode, repeats=1) for mode in ("forward", "reverse")
}
print(
    f"forward {simulation_ms['forward']:.1f} ms (3 passes)   reverse {simulation_ms['reverse']:.1f} ms (2,000 passes)"
)
assert tg.jacobian(lambda p: (tall @ p).tanh(), parameters, mode="forward").shape == (2_000, 3)
