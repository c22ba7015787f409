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
# # Lesson 6: derivatives of derivatives
#
# With `create_graph=True`, computing a gradient records a graph of its own, so the gradient
# can be differentiated again: second derivatives, Hessian-vector products, Newton's method.
# And the backward pass itself becomes something we can draw.

# %%
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor
from tinygrad_edu.core.autograd import topological_order

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_6_second_derivatives, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson6")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## $x^3$, three times

# %%
x = Tensor(1.5, dtype=np.float64, requires_grad=True, name="x")
y = x**3
(dy,) = tg.grad(y, x, create_graph=True)  # 3x² = 6.75, itself a Tensor with a graph
(d2y,) = tg.grad(dy, x, create_graph=True)  # 6x = 9
(d3y,) = tg.grad(d2y, x)  # 6
print("y =", y.item(), " dy/dx =", dy.item(), " d²y/dx² =", d2y.item(), " d³y/dx³ =", d3y.item())

# %% [markdown]
# ## The backward pass is a graph too
#
# `dy` was computed by the backward formula of `Pow`, written with Tensor operations; with
# `create_graph=True` those operations were recorded. Here is the graph that computes
# $\partial y / \partial x$:

# %%
dy.name = "dy/dx"
show(viz.draw_graph(dy), "backward_graph")

# %% [markdown]
# ## sin, differentiated four times, comes back to itself

# %%
x = Tensor(0.7, dtype=np.float64, requires_grad=True, name="x")
derivative = x.sin()
for order in range(1, 5):
    (derivative,) = tg.grad(derivative, x, create_graph=True)
    print(f"order {order}: {derivative.item():+.6f}")
print("cos, -sin, -cos, sin at 0.7:", np.cos(0.7), -np.sin(0.7), -np.cos(0.7), np.sin(0.7))

# %% [markdown]
# ## A Hessian-vector product without the Hessian
#
# For $f: \mathbb{R}^n \to \mathbb{R}$ the Hessian $H$ has $n^2$ entries; but $H v$ is the
# gradient of $g \cdot v$ where $g = \nabla f$: one more backward pass, at about the cost of
# a gradient. Take $f(w) = \tfrac12 w^\top A w + \sum_i \sin w_i$; its Hessian is
# $\tfrac12 (A + A^\top) - \operatorname{diag}(\sin w)$.

# %%
rng = np.random.default_rng(0)
A = rng.normal(size=(3, 3))
w = Tensor(rng.normal(size=3), requires_grad=True, name="w")
v = rng.normal(size=3)


def f(w):
    return 0.5 * (w * (Tensor(A) @ w)).sum() + w.sin().sum()


(g,) = tg.grad(f(w), w, create_graph=True)
(hvp,) = tg.grad((g * Tensor(v)).sum(), w)
hessian = 0.5 * (A + A.T) - np.diag(np.sin(w.data))
print("H v by double backward:", hvp.data)
print("H v from the formula:  ", hessian @ v)

# %% [markdown]
# The whole Hessian is $n$ such products, one per unit vector:

# %%
rows = []
for i in range(3):
    (g,) = tg.grad(f(w), w, create_graph=True)
    (row,) = tg.grad(g[i], w)
    rows.append(row.data)
print(np.allclose(np.array(rows), hessian))

# %% [markdown]
# ## Newton's method
#
# Gradient descent uses the slope only; Newton's method also uses the curvature:
# $x \leftarrow x - f'(x) / f''(x)$. On $f(x) = x^4 - 3x^2 + x$ it lands on a minimum in a few
# steps.

# %%
x = Tensor(2.0, dtype=np.float64, requires_grad=True)
for step in range(6):
    f_value = x**4 - 3 * x**2 + x
    (slope,) = tg.grad(f_value, x, create_graph=True)
    (curvature,) = tg.grad(slope, x)
    print(f"step {step}: x = {x.item():.8f}  f'(x) = {slope.item():+.2e}")
    x = Tensor(x.data - slope.data / curvature.data, requires_grad=True)

# %% [markdown]
# ## Exercises
#
# 1. Draw the graph of the *second* derivative of $x^3$: the backward pass, recorded. By hand,
#    $\frac{d^2}{dx^2} x^3 = 6x$: check the engine's value at three points, then differentiate
#    the graph once more. What must the third derivative be, and does it depend on $x$?
# 2. Check the Hessian of $f$ numerically: central differences of the gradient.
# 3. Start Newton's method at $x = 0.1$. Where does it go, and is that a minimum?

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.

# %% [markdown] tags=["solution"]
# ### Solution 1: the graph of the second derivative of $x^3$
#
# <details><summary>Hint</summary>
#
# Compute `dy` with `create_graph=True`, then `d2y` from it with `create_graph=True` again, and draw
# `d2y`. Its ops are whatever the backward formulas of the ops in $x^3$'s graph are written with;
# the *values* are what the calculus fixes: $3x^2$, $6x$, $6$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
x = Tensor(1.5, dtype=np.float64, requires_grad=True, name="x")
(first,) = tg.grad(x**3, x, create_graph=True)
(second,) = tg.grad(first, x, create_graph=True)
second.name = "d²y/dx²"
show(viz.draw_graph(second), "second_derivative_graph")


print("ops recorded for d²y/dx²:", [t.grad_fn.name for t in topological_order([second]) if not t.is_leaf])
for point in (-2.0, 0.5, 3.0):
    x_point = Tensor(point, dtype=np.float64, requires_grad=True)
    (first_at,) = tg.grad(x_point**3, x_point, create_graph=True)
    (second_at,) = tg.grad(first_at, x_point, create_graph=True)
    (third_at,) = tg.grad(second_at, x_point)
    print(f"x = {point:4}: d²y/dx² = {second_at.item():5} (6x = {6 * point:5}), d³y/dx³ = {third_at.item()}")
    assert np.isclose(second_at.item(), 6 * point) and np.isclose(third_at.item(), 6.0)
# The third derivative is the constant 6, the same at every x: differentiating 6x once more leaves 6.

# %% [markdown] tags=["solution"]
# ### Solution 2: the Hessian by central differences
#
# <details><summary>Hint</summary>
#
# Row $i$ of the Hessian is how the gradient changes when $w_i$ moves:
# $(\nabla f(w + h e_i) - \nabla f(w - h e_i)) / 2h$.
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
def gradient_at(point):
    point = Tensor(point, requires_grad=True)
    (gradient,) = tg.grad(f(point), point)
    return gradient.data


h = 1e-5
numerical_hessian = np.array(
    [(gradient_at(w.data + h * unit) - gradient_at(w.data - h * unit)) / (2 * h) for unit in np.eye(3)]
)
print("largest difference from the double-backward Hessian:", np.abs(numerical_hessian - np.array(rows)).max())
assert np.allclose(numerical_hessian, np.array(rows), atol=1e-6)
assert np.allclose(numerical_hessian, hessian, atol=1e-6)

# %% [markdown] tags=["solution"]
# ### Solution 3: Newton's method from $x = 0.1$
#
# <details><summary>Hint</summary>
#
# Newton's method looks for a point where $f'(x) = 0$. Check the sign of $f''$ where it lands.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
x = Tensor(0.1, dtype=np.float64, requires_grad=True)
for _ in range(8):
    f_value = x**4 - 3 * x**2 + x
    (slope,) = tg.grad(f_value, x, create_graph=True)
    (curvature,) = tg.grad(slope, x)
    x = Tensor(x.data - slope.data / curvature.data, requires_grad=True)
print(f"Newton from 0.1 lands at x = {x.item():.6f}, where f'' = 12x² - 6 = {12 * x.item() ** 2 - 6:.3f}")
# It converges to x ≈ 0.169, a zero of f' where f'' < 0: a local MAXIMUM. Newton's method finds where the
# slope is zero and cannot tell a valley from a hill; near 0.1 the curvature is negative, so it climbs.
# (Gradient descent would have walked downhill, away from it.)
assert abs(4 * x.item() ** 3 - 6 * x.item() + 1) < 1e-9
assert 12 * x.item() ** 2 - 6 < 0
