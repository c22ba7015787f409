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
import sys
import tempfile
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor

OUT = Path(tempfile.mkdtemp(prefix="lesson6-"))  # pictures go here, never into the repository
IN_NOTEBOOK = "ipykernel" in sys.modules
print("pictures are written to", OUT)


def show(picture, name="picture"):
    """Show a picture inline in Jupyter; as a plain script, save it into OUT and say where."""
    if IN_NOTEBOOK:
        from IPython.display import Image, display

        display(Image(filename=str(picture)) if isinstance(picture, Path) else picture)
    elif isinstance(picture, Path):
        print(f"[picture: {picture}]")
    elif isinstance(picture, viz.Frame):
        print(f"[picture: {picture.render(OUT / (name + '.svg'))}]")
    else:  # a graphviz graph
        print(f"[picture: {picture.render(OUT / name, format='svg', cleanup=True)}]")


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
# 1. Draw the graph of the *second* derivative of $x^3$. How many ops does it have?
# 2. Check the Hessian of $f$ numerically: central differences of the gradient.
# 3. Start Newton's method at $x = 0.1$. Where does it go, and is that a minimum?
