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
# # Lesson 2: a single neuron
#
# One neuron: a weighted sum of the inputs plus a bias, squashed by the sigmoid into a
# probability, $p = \sigma(w \cdot x + b)$. Trained with the log-loss, it is *logistic
# regression*. We make two clouds of points with NumPy, train the neuron with plain
# gradient descent written out by hand, and watch its decision boundary (the line
# $w \cdot x + b = 0$) move as it learns.

# %%
import sys
import tempfile
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor, optim
from tinygrad_edu.nn import functional as F
from viz.plots import plot_decision_boundary, plot_training_curves

OUT = Path(tempfile.mkdtemp(prefix="lesson2-"))  # pictures go here, never into the repository
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
# ## The data: two clouds in the plane

# %%
rng = np.random.default_rng(0)
n = 100
X = np.concatenate([rng.normal([-1.0, -1.0], 0.8, size=(n, 2)), rng.normal([1.5, 1.0], 0.8, size=(n, 2))])
y = np.concatenate([np.zeros(n), np.ones(n)])
print("X:", X.shape, " y:", y.shape, " class balance:", y.mean())

# %% [markdown]
# ## The neuron and its loss
#
# For one point with label $y \in \{0, 1\}$ the log-loss is
# $\ell = -(y \ln p + (1 - y) \ln(1 - p))$: small when the neuron is confidently right,
# large when it is confidently wrong. We average it over the points.
#
# A small miracle of calculus: with $z = w \cdot x + b$ and $p = \sigma(z)$,
# $\partial \ell / \partial z = p - y$. The error itself is the gradient. Let us check it on
# the engine (`z.retain_grad()` keeps the gradient of a non-leaf tensor).

# %%
w = Tensor(np.zeros(2), requires_grad=True, name="w")
b = Tensor(0.0, dtype=np.float64, requires_grad=True, name="b")


def log_loss(p, y):
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


z = Tensor(X) @ w + b
z.retain_grad()
p = z.sigmoid()
loss = log_loss(p, y)
loss.backward()
print("loss at w = 0:", loss.item(), "(ln 2 =", np.log(2), ")")
print("dL/dz equals (p - y) / N:", np.allclose(z.grad.data, (p.data - y) / len(y)))

# %% [markdown]
# ## Gradient descent, by hand
#
# Repeat: forward, zero the old gradients, backward, step downhill
# $w \leftarrow w - \eta \, \partial L / \partial w$. We draw the decision boundary at a
# few moments.

# %%
w = Tensor(np.array([-1.0, 0.5]), requires_grad=True, name="w")  # a bad start, on purpose
b = Tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
lr = 0.5
history = []


def predict(points):
    with tg.no_grad():
        return (Tensor(points) @ w + b).sigmoid()


for step in range(101):
    p = (Tensor(X) @ w + b).sigmoid()
    loss = log_loss(p, y)
    w.grad = None
    b.grad = None
    loss.backward()
    w.data = w.data - lr * w.grad.data
    b.data = b.data - lr * b.grad.data
    accuracy = np.mean((p.data > 0.5) == y)
    history.append({"epoch": step, "train_loss": loss.item(), "train_accuracy": accuracy})
    if step in (0, 3, 10, 100):
        title = f"step {step}: loss {loss.item():.3f}, accuracy {100 * accuracy:.0f}%"
        path = OUT / f"boundary_{step}.png"
        show(plot_decision_boundary(predict, X, y, path, resolution=100, title=title))

# %%
show(plot_training_curves(history, OUT / "curves.png", title="one neuron, gradient descent"))
print("w =", w.data, " b =", b.item())

# %% [markdown]
# ## The same with an optimizer, and a stable loss
#
# `optim.SGD` does the update and `zero_grad()` the clearing. Computing $\ln \sigma(z)$ from
# $\sigma(z)$ breaks for large $|z|$: in float32, $\sigma(20) = 1$ exactly, so
# $\ln(1 - \sigma(20)) = -\infty$. `F.binary_cross_entropy_with_logits` takes $z$ itself and
# uses the stable form $\max(z, 0) - z y + \ln(1 + e^{-|z|})$.

# %%
z = Tensor([20.0, -30.0])
target = Tensor([0.0, 1.0])
with np.errstate(divide="ignore"):
    print("naive: ", log_loss(z.sigmoid(), target).item())
print("stable:", F.binary_cross_entropy_with_logits(z, target).item(), "(= (20 + 30) / 2)")

w = Tensor(np.zeros(2), requires_grad=True)
b = Tensor(0.0, dtype=np.float64, requires_grad=True)
optimizer = optim.SGD([w, b], lr=0.5)
for _ in range(100):
    loss = F.binary_cross_entropy_with_logits(Tensor(X) @ w + b, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"after 100 steps: loss {loss.item():.4f}")

# %% [markdown]
# ## Exercises
#
# 1. Try `lr = 5` and `lr = 0.01`. What happens to the curves?
# 2. Move the clouds so that they overlap more. Can the neuron still reach 100%?
# 3. Make the data *not* linearly separable (class 1 inside a ring of class 0). Why must one
#    neuron fail? (Lesson 3 fixes it.)
