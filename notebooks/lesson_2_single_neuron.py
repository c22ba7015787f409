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
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor, optim
from tinygrad_edu.nn import functional as F
from viz.plots import plot_decision_boundary, plot_training_curves

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_2_single_neuron, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson2")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


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
# With $z = w \cdot x + b$ and $p = \sigma(z)$, the gradient of the loss with respect to $z$ is
# simply $\partial \ell / \partial z = p - y$: the error itself. That is no miracle: exercise 4
# derives it in three steps, with the chain rule and nothing else. First let us check it on the
# engine (`z.retain_grad()` keeps the gradient of a non-leaf tensor).

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
# ## Predict, then reveal: one neuron, one point
#
# Before we train on all the points, step through the neuron on a single point, with the names of
# the formula: $z = x_1 w_1 + x_2 w_2 + b$, $p = \sigma(z)$, $L = -(y \log p + (1 - y) \log(1 - p))$.
# The player starts in predict mode: each step shows its question first (the gradient arriving
# from above and the local derivative), and the answer only on the next press of →. Let the class
# say the number first. (The same from a terminal:
# `python -m viz "z = x1*w1 + x2*w2 + b; p = sigmoid(z); L = -(y*log(p) + (1-y)*log(1-p))"
# --values x1=1,x2=-2,w1=0.5,w2=0.25,b=0.1,y=1 --predict --out neuron`.)

# %%
one = {
    name: Tensor(value, dtype=np.float64, requires_grad=True, name=name)
    for name, value in {"x1": 1.0, "x2": -2.0, "w1": 0.5, "w2": 0.25, "b": 0.1, "y": 1.0}.items()
}
z = one["x1"] * one["w1"] + one["x2"] * one["w2"] + one["b"]
z.name = "z"
p_one = z.sigmoid()
p_one.name = "p"
L_one = -(one["y"] * p_one.log() + (1 - one["y"]) * (1 - p_one).log())
L_one.name = "L"
show(viz.player(L_one, predict=True, title="One neuron on one point: predict each gradient"), "neuron_player")
print(f"∂L/∂w1 = {one['w1'].grad.item():.4f} = (p − y)·x1 = ({p_one.item():.4f} − 1)·1")

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
# 4. **Derive $\partial \ell / \partial z = p - y$**, on paper, in three steps, then check each
#    step with the engine:
#    (a) with $\sigma(z) = 1/(1 + e^{-z})$, show $\sigma'(z) = \sigma(z)(1 - \sigma(z))$
#    (write $\sigma = u^{-1}$ with $u = 1 + e^{-z}$ and use the chain rule);
#    (b) differentiate $\ell = -(y \ln p + (1 - y)\ln(1 - p))$ with respect to $p$;
#    (c) multiply (a) and (b) (the chain rule) and simplify.
#    Why is the answer so much better for learning than the squared error's
#    $\partial \tfrac12(p - y)^2/\partial z$? Compare both at $z = -6$, $y = 1$.

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.
# They share two helpers: the gradient-descent loop above as a function of the data and the rate, and
# one that trains a neuron and draws its decision boundary.


# %% tags=["solution"] jupyter={"source_hidden": true}
def descend(X, y, lr, steps=100):
    """Gradient descent on one neuron from the lesson's bad start; (w, b, history)."""
    w = Tensor(np.array([-1.0, 0.5]), requires_grad=True)
    b = Tensor(0.0, dtype=np.float64, requires_grad=True)
    history = []
    for step in range(steps + 1):
        z = Tensor(X) @ w + b
        loss = F.binary_cross_entropy_with_logits(z, y)  # the stable log-loss: lr = 5 must not give NaN
        w.grad = None
        b.grad = None
        loss.backward()
        w.data = w.data - lr * w.grad.data
        b.data = b.data - lr * b.grad.data
        history.append({"epoch": step, "train_loss": loss.item(), "train_accuracy": np.mean((z.data > 0) == y)})
    return w, b, history


def train_and_show(X, y, name, label):
    """Train a neuron on (X, y) for 300 steps, draw its boundary, and return its final accuracy."""
    w, b, history = descend(X, y, lr=0.5, steps=300)
    accuracy = history[-1]["train_accuracy"]

    def predict(points):
        with tg.no_grad():
            return (Tensor(points) @ w + b).sigmoid()

    title = f"{label}: accuracy {100 * accuracy:.0f}%"
    show(plot_decision_boundary(predict, X, y, OUT / f"{name}.png", resolution=100, title=title))
    return accuracy


# %% [markdown] tags=["solution"]
# ### Solution 1: `lr = 5` and `lr = 0.01`
#
# <details><summary>Hint</summary>
#
# The step is $\eta$ times the slope. Too small and 100 steps barely move; large, and each step
# can jump past the bottom of the valley.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
final_loss = {}
for rate in (0.01, 0.5, 5.0):
    _, _, rate_history = descend(X, y, rate)
    final_loss[rate] = rate_history[-1]["train_loss"]
    show(plot_training_curves(rate_history, OUT / f"curves_lr_{rate}.png", title=f"gradient descent, lr = {rate}"))
    print(f"lr = {rate:4}: loss after 100 steps {final_loss[rate]:.4f}")
# lr = 0.01 crawls: after 100 steps the loss (0.54) is still six times lr = 0.5's. lr = 5 is the fastest
# here: its first step alone takes the accuracy from 19% to 97%. These two clouds are an easy, gently
# curved valley; on a harder one a rate that large overshoots and diverges (lesson 7, lr 3).
assert final_loss[0.01] > 2 * final_loss[0.5] and final_loss[5.0] < final_loss[0.5]

# %% [markdown] tags=["solution"]
# ### Solution 2: clouds that overlap
#
# <details><summary>Hint</summary>
#
# A neuron draws one straight line. Where the two clouds mix, some points lie on the wrong side
# of every line.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
overlap_rng = np.random.default_rng(1)
X_overlap = np.concatenate(
    [overlap_rng.normal([-0.3, -0.3], 0.8, size=(n, 2)), overlap_rng.normal([0.3, 0.3], 0.8, size=(n, 2))]
)
overlap_accuracy = train_and_show(X_overlap, y, "overlap", "overlapping clouds")
# No: the best line still leaves the mixed points in the middle on the wrong side (here 72% right).
assert 0.55 < overlap_accuracy < 0.9

# %% [markdown] tags=["solution"]
# ### Solution 3: class 1 inside a ring of class 0
#
# <details><summary>Hint</summary>
#
# The neuron says "class 1" on one side of a straight line. Can any straight line put the centre
# of a ring on one side and the whole ring on the other?
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
ring_rng = np.random.default_rng(2)
angle = ring_rng.uniform(0, 2 * np.pi, n)
radius = ring_rng.normal(2.0, 0.2, n)
ring = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
X_ring = np.concatenate([ring, ring_rng.normal(0, 0.5, (n, 2))])  # class 0: the ring; class 1: the centre
ring_accuracy = train_and_show(X_ring, y, "ring", "a ring around a cloud")
# Any line cuts the ring: one side of it holds the centre AND part of the ring. The neuron can do little
# better than guessing; it needs a curved boundary, which is what a hidden layer gives (lesson 3).
assert ring_accuracy < 0.75

# %% [markdown] tags=["solution"]
# ### Solution 4: deriving p − y
#
# <details><summary>Hint</summary>
#
# In (a), $1 - \sigma(z) = \dfrac{1 + e^{-z} - 1}{1 + e^{-z}} = \dfrac{e^{-z}}{1 + e^{-z}}$.
# </details>
#
# **(a)** $\sigma = u^{-1}$ with $u = 1 + e^{-z}$, so $\dfrac{d\sigma}{du} = -u^{-2}$ and
# $\dfrac{du}{dz} = -e^{-z}$. The chain rule multiplies them:
# $$\sigma'(z) = -u^{-2} \cdot (-e^{-z}) = \frac{e^{-z}}{(1 + e^{-z})^2}
#   = \frac{1}{1 + e^{-z}} \cdot \frac{e^{-z}}{1 + e^{-z}} = \sigma(z)\,(1 - \sigma(z)).$$
# **(b)** $\dfrac{d}{dp}\ln p = \dfrac1p$ and $\dfrac{d}{dp}\ln(1 - p) = -\dfrac{1}{1 - p}$ (the chain
# rule again: the inside $1 - p$ has derivative $-1$), so
# $$\frac{\partial \ell}{\partial p} = -\frac{y}{p} + \frac{1 - y}{1 - p}.$$
# **(c)** With $p = \sigma(z)$, multiply by (a) and expand:
# $$\frac{\partial \ell}{\partial z} = \frac{\partial \ell}{\partial p}\cdot\sigma'(z)
#   = \left(-\frac{y}{p} + \frac{1 - y}{1 - p}\right) p(1 - p)
#   = -y(1 - p) + (1 - y)p = -y + yp + p - yp = p - y.$$
# The $p(1 - p)$ of the sigmoid cancels against the denominators of the log-loss. With the
# squared error it does not cancel: $\partial \tfrac12 (p - y)^2/\partial z = (p - y)\,p(1 - p)$,
# which is almost 0 when the neuron is confidently wrong ($p \approx 0$, $y = 1$): exactly when it
# should learn most.


# %% tags=["solution"] jupyter={"source_hidden": true}
def central_difference(f, at, h=1e-6):
    return (f(at + h) - f(at - h)) / (2 * h)


def sigmoid_number(z):
    return 1 / (1 + np.exp(-z))


for z_value, y_value in ((-6.0, 1.0), (0.3, 0.0), (2.0, 1.0), (1.0, 0.3)):
    p_value = sigmoid_number(z_value)
    # (a) the sigmoid's derivative
    assert np.isclose(central_difference(sigmoid_number, z_value), p_value * (1 - p_value))

    # (b) the log-loss's derivative with respect to p
    def loss_of_p(q, y_value=y_value):
        return -(y_value * np.log(q) + (1 - y_value) * np.log(1 - q))

    assert np.isclose(central_difference(loss_of_p, p_value, 1e-8), -y_value / p_value + (1 - y_value) / (1 - p_value))
    # (c) the whole chain, by the engine
    z_leaf = Tensor(z_value, dtype=np.float64, requires_grad=True)
    p_leaf = z_leaf.sigmoid()
    (-(y_value * p_leaf.log() + (1 - y_value) * (1 - p_leaf).log())).backward()
    assert np.isclose(z_leaf.grad.item(), p_value - y_value)
    squared_error_gradient = (p_value - y_value) * p_value * (1 - p_value)
    print(
        f"z = {z_value:4}, y = {y_value}: log-loss ∂ℓ/∂z = {z_leaf.grad.item():+.4f} = p − y,   "
        f"squared error ∂/∂z = {squared_error_gradient:+.4f}"
    )
