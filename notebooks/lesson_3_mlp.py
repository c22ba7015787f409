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
# # Lesson 3: from one neuron to a multi-layer perceptron
#
# Many neurons side by side are a matrix multiplication; layers of them, with a
# non-linearity between, are an MLP. On the way we meet **broadcasting** (and why the bias
# gradient is a sum), the **softmax**, and a **cross-entropy** that does not blow up.

# %%
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.nn import functional as F
from viz.plots import plot_decision_boundary

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_3_mlp, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson3")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## A layer is a matrix product, and the bias broadcasts
#
# A batch of 4 points with 2 features, a layer of 3 neurons: `X @ W` has shape (4, 3), and the
# bias of shape (3,) is *broadcast*, added to each of the 4 rows. Since every row used the same
# bias, its gradient is the **sum over the batch**: the engine sums broadcast gradients back to
# each input's shape, in one place.

# %%
rng = np.random.default_rng(0)
X = Tensor(rng.normal(size=(4, 2)), name="X")
W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="W")
bias = Tensor(np.zeros(3), requires_grad=True, name="bias")
H = X @ W + bias
print("X", X.shape, "@ W", W.shape, "+ bias", bias.shape, "->", H.shape)
upstream = rng.normal(size=(4, 3))
H.backward(upstream)
print("bias.grad:            ", bias.grad.data)
print("upstream summed over 0:", upstream.sum(axis=0))
show(viz.draw_graph(H), "layer")

# %% [markdown]
# ## Softmax and cross-entropy, naive and stable
#
# With more than two classes, the last layer gives one score (logit) per class and the softmax
# turns them into probabilities: $p_i = e^{z_i} / \sum_j e^{z_j}$. The cross-entropy is
# $-\ln p_{\text{target}}$. Written naively, $e^{1000}$ overflows to infinity, and
# $\infty / \infty$ is NaN.

# %%
logits = Tensor([[1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]], requires_grad=True)
targets = np.array([0, 1])
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    naive_probabilities = logits.exp() / logits.exp().sum(axis=1, keepdims=True)
    naive_loss = -naive_probabilities.log()[np.arange(2), targets].mean()
print("naive probabilities:", naive_probabilities.data.tolist())
print("naive loss:", naive_loss.item())

# %% [markdown]
# Subtracting the largest logit changes nothing mathematically
# ($e^{z_i - m} / \sum_j e^{z_j - m}$ is the same fraction) and makes every exponent $\le 0$.
# Better still, compute $\ln p$ directly: $\ln p_i = (z_i - m) - \ln \sum_j e^{z_j - m}$
# (log-sum-exp). That is what `log_softmax` and `F.cross_entropy` do, and the gradient,
# $p - \text{onehot}(\text{target})$ divided by the batch size, is finite too.

# %%
print("log_softmax:", logits.log_softmax(axis=1).data.tolist())
loss = F.cross_entropy(logits, targets)
loss.backward()
print("stable loss:", loss.item())
print("gradient (p - onehot) / 2:", logits.grad.data.round(4).tolist())


# %% [markdown]
# ## Data one neuron cannot separate
#
# Three interleaved spirals. A single layer (softmax regression) can only draw straight
# boundaries; a hidden layer of 32 tanh neurons bends them.


# %%
def spirals(points_per_class, classes, rng):
    X, y = [], []
    for k in range(classes):
        radius = np.linspace(0.05, 1, points_per_class)
        angle = np.linspace(k * 4, (k + 1) * 4, points_per_class) + rng.normal(0, 0.2, points_per_class)
        X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        y.append(np.full(points_per_class, k))
    return np.concatenate(X).astype(np.float32), np.concatenate(y)


X, y = spirals(100, 3, np.random.default_rng(1))


def train(model, steps=300, lr=0.02):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.cross_entropy(model(Tensor(X)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with tg.no_grad():
        accuracy = np.mean(model(Tensor(X)).data.argmax(axis=1) == y)
    return loss.item(), accuracy


def predict_with(model):
    def predict(points):
        with tg.no_grad():
            return model(Tensor(points.astype(np.float32)))

    return predict


rng = np.random.default_rng(0)
linear = nn.Linear(2, 3, generator=rng)
mlp = nn.Sequential(nn.Linear(2, 32, generator=rng), nn.Tanh(), nn.Linear(32, 3, generator=rng))
for label, model in (("one layer", linear), ("MLP 2-32-3", mlp)):
    loss, accuracy = train(model)
    title = f"{label}: loss {loss:.3f}, accuracy {100 * accuracy:.0f}%"
    print(title)
    path = OUT / f"{label[:3]}.png"
    show(plot_decision_boundary(predict_with(model), X, y, path, resolution=100, title=title))

# %% [markdown]
# ## Exercises
#
# 1. Replace `nn.Tanh()` by `nn.ReLU()`. How do the boundaries change shape?
# 2. How few hidden neurons still separate the spirals?
# 3. Print `mlp` and count its parameters: `sum(p.data.size for p in mlp.parameters())`.
# 4. **Derive the gradient of softmax + cross-entropy**, $\partial \ell / \partial z_k = p_k - [k = t]$
#    for the target class $t$ ($[k = t]$ is 1 when $k = t$, else 0), two ways:
#    (a) the short way: write $\ell = -\ln p_t = -z_t + \ln \sum_j e^{z_j}$ and differentiate
#    each term with respect to $z_k$;
#    (b) the long way: derive the softmax's Jacobian $\partial p_i/\partial z_k$ (quotient rule;
#    separate $i = k$ from $i \ne k$), then apply the chain rule
#    $\partial \ell/\partial z_k = \sum_i \partial \ell/\partial p_i \cdot \partial p_i/\partial z_k$.
#    Check both against the engine, and count how many numbers the Jacobian holds for 10
#    classes and for 50,000 (a language model's vocabulary), against the gradient's.

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.

# %% [markdown] tags=["solution"]
# ### Solution 1: ReLU instead of tanh
#
# <details><summary>Hint</summary>
#
# A ReLU network computes a function that is linear on pieces of the plane. What shape are the
# boundaries between such pieces?
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
relu_rng = np.random.default_rng(0)
relu_mlp = nn.Sequential(nn.Linear(2, 32, generator=relu_rng), nn.ReLU(), nn.Linear(32, 3, generator=relu_rng))
relu_loss, relu_accuracy = train(relu_mlp)
title = f"MLP 2-32-3 with ReLU: loss {relu_loss:.3f}, accuracy {100 * relu_accuracy:.0f}%"
print(title)
show(plot_decision_boundary(predict_with(relu_mlp), X, y, OUT / "relu.png", resolution=100, title=title))
# The ReLU boundaries are made of straight segments with corners (the network is piecewise linear),
# where tanh's bend smoothly. It separates the spirals just as well.
assert relu_accuracy > 0.9

# %% [markdown] tags=["solution"]
# ### Solution 2: how few hidden neurons?
#
# <details><summary>Hint</summary>
#
# Train the same MLP with 2, 4, 8 and 16 hidden neurons and compare the accuracies.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
accuracy_by_width = {}
for width in (2, 4, 8, 16):
    width_rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, width, generator=width_rng), nn.Tanh(), nn.Linear(width, 3, generator=width_rng))
    _, accuracy_by_width[width] = train(model, steps=600)
    print(f"{width:2} hidden tanh neurons: accuracy {100 * accuracy_by_width[width]:.0f}%")
# Two neurons are too few (about 60%), four nearly do it (about 87%), and from 8 the three arms come
# apart; more neurons mostly make the boundaries smoother. (Training longer helps small networks too.)
assert accuracy_by_width[2] < accuracy_by_width[16] and accuracy_by_width[16] > 0.9

# %% [markdown] tags=["solution"]
# ### Solution 3: count the parameters
#
# <details><summary>Hint</summary>
#
# A `Linear(in, out)` layer has an `(out, in)` weight and `out` biases.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
print(mlp)
count = sum(p.data.size for p in mlp.parameters())
print("parameters:", count, "= (2·32 + 32) + (32·3 + 3)")
assert count == (2 * 32 + 32) + (32 * 3 + 3) == 195

# %% [markdown] tags=["solution"]
# ### Solution 4: softmax and cross-entropy
#
# <details><summary>Hint</summary>
#
# $\dfrac{\partial}{\partial z_k} \ln S = \dfrac{1}{S}\dfrac{\partial S}{\partial z_k}$ with
# $S = \sum_j e^{z_j}$, and only one term of $S$ contains $z_k$.
# </details>
#
# **(a)** $\ell = -\ln \dfrac{e^{z_t}}{S} = -(z_t - \ln S) = -z_t + \ln S$ with $S = \sum_j e^{z_j}$.
# The first term gives $-[k = t]$. For the second, the chain rule with $\dfrac{d}{dS}\ln S = \dfrac1S$
# and $\dfrac{\partial S}{\partial z_k} = e^{z_k}$ (the only term of $S$ with $z_k$ in it):
# $$\frac{\partial \ell}{\partial z_k} = -[k = t] + \frac{e^{z_k}}{S} = p_k - [k = t].$$
# **(b)** $p_i = e^{z_i}/S$. For $i = k$ the quotient rule gives
# $\dfrac{e^{z_k} S - e^{z_k} e^{z_k}}{S^2} = p_k - p_k^2 = p_k(1 - p_k)$; for $i \ne k$ only $S$ depends
# on $z_k$: $-\dfrac{e^{z_i} e^{z_k}}{S^2} = -p_i p_k$. Together: $\partial p_i/\partial z_k = p_i([i = k] - p_k)$.
# The loss depends on $p_t$ alone, $\partial \ell / \partial p_i = -[i = t]/p_t$, so the sum over $i$
# keeps one term:
# $$\frac{\partial \ell}{\partial z_k} = -\frac{1}{p_t}\, p_t([t = k] - p_k) = p_k - [k = t].$$
# Same answer, but (b) builds an $n \times n$ matrix to throw it away: that is why
# `cross_entropy` is one fused op whose backward is $p - \text{onehot}$, never the Jacobian.

# %% tags=["solution"] jupyter={"source_hidden": true}
z4 = Tensor(np.array([2.0, -1.0, 0.5, 0.0]), requires_grad=True)
target4 = 2
loss4 = -z4.log_softmax(axis=0)[target4]
loss4.backward()
p4 = np.exp(z4.data) / np.exp(z4.data).sum()
onehot4 = np.eye(4)[target4]
assert np.allclose(z4.grad.data, p4 - onehot4)  # (a)
jacobian4 = tg.jacobian(lambda logits: logits.softmax(axis=0), Tensor(z4.data), mode="reverse").data
assert np.allclose(jacobian4, np.diag(p4) - np.outer(p4, p4))  # (b): ∂p_i/∂z_k = p_i([i = k] − p_k)
upstream4 = -onehot4 / p4[target4]  # ∂ℓ/∂p
assert np.allclose(upstream4 @ jacobian4, p4 - onehot4)
print("engine:", z4.grad.data.round(4), "  p − onehot:", (p4 - onehot4).round(4))
for classes in (10, 50_000):
    print(f"{classes:>6} classes: the Jacobian holds {classes**2:,} numbers, the gradient {classes:,}")
