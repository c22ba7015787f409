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
# # Lesson 12: gradient flow through depth
#
# A deep network's first layer learns from a gradient that has passed back through every
# layer above it. By the chain rule that gradient is a **product** with one factor per layer,
# and a product of many factors is either tiny or huge unless its factors stay near 1. In this
# lesson we
#
# 1. derive why sigmoid layers shrink the gradient, and measure it layer by layer,
# 2. derive the initialisations that keep the signal's size (Xavier, Kaiming),
# 3. add batch normalisation and see the gradient reach the first layer again,
# 4. train the three networks and compare.
#
# For the class: 45 minutes, after lessons 3 and 4. Calculus needed: the derivative of
# $\sigma$ (lesson 2) and of a sum.

# %%
import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from mnist import data
from tinygrad_edu import Tensor, nn

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_12_gradient_flow, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson12")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show

images, labels = data.load("train")
x_all = ((data.to_float(images[:3000]) - 0.1307) / 0.3081).reshape(3000, 784)
y_all = labels[:3000].astype(np.int64)
batch_x, batch_y = Tensor(x_all[:256]), y_all[:256]


# %% [markdown]
# ## Why a sigmoid shrinks what passes through it
#
# With $p = \sigma(z)$, lesson 2 derived $\sigma'(z) = p(1 - p)$. How large can $p(1-p)$ be?
# Complete the square:
#
# $$p(1 - p) = p - p^2 = \tfrac14 - \left(p - \tfrac12\right)^2 \le \tfrac14,$$
#
# with equality only at $p = \tfrac12$, that is $z = 0$. So **every sigmoid multiplies the
# gradient passing back through it by at most ¼**, and by much less where it saturates
# ($z = 5$: $p(1-p) \approx 0.0066$).
#
# In a network $h_l = \sigma(W_l h_{l-1} + b_l)$ the chain rule gives, for one path through
# one neuron per layer,
#
# $$\frac{\partial L}{\partial h_0} = \frac{\partial L}{\partial h_n}\cdot
#   \sigma'(z_n) w_n \cdot \sigma'(z_{n-1}) w_{n-1} \cdots \sigma'(z_1) w_1 .$$
#
# Each layer contributes a factor $\sigma'(z_l)\,w_l \le w_l/4$. Unless the weights are large,
# ten layers multiply the gradient by something like $(1/4)^{10} \approx 10^{-6}$: the first
# layers hardly learn. A ReLU's derivative is 1 where it is active, so nothing shrinks there.
#
# Let us measure $\lVert \partial L / \partial W_l \rVert$ for every layer of a 10-layer network.


# %%
def deep_network(activation, depth=10, width=64, batch_norm=False, init=None, seed=0):
    """784 → width → ... → width → 10: `depth` hidden layers, each Linear (+ BatchNorm) + activation."""
    rng = np.random.default_rng(seed)
    layers = []
    fan_in = 784
    for _ in range(depth):
        linear = nn.Linear(fan_in, width, generator=rng)
        if init is not None:
            init(linear.weight, generator=rng)
            nn.init.zeros_(linear.bias)
        layers += [linear] + ([nn.BatchNorm1d(width)] if batch_norm else []) + [activation()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 10, generator=rng))
    return nn.Sequential(*layers)


def gradient_norms(model):
    """‖∂L/∂W‖ of each Linear layer's weight, first layer first, after one backward on the batch."""
    model.zero_grad()
    F.cross_entropy(model(batch_x), batch_y).backward()
    return [float(np.linalg.norm(layer.weight.grad.data)) for layer in model if isinstance(layer, nn.Linear)]


def plot_norms(curves, title, name):
    figure = Figure(figsize=(7, 3.8))
    axes = figure.subplots()
    for label, norms in curves.items():
        axes.semilogy(range(1, len(norms) + 1), norms, "o-", label=label)
    axes.set_xlabel("layer (1 = next to the input)")
    axes.set_ylabel("‖∂L/∂W‖ (log scale)")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(OUT / f"{name}.png")
    return OUT / f"{name}.png"


sigmoid_norms = gradient_norms(deep_network(nn.Sigmoid))
relu_norms = gradient_norms(deep_network(nn.ReLU))
for layer, (s, r) in enumerate(zip(sigmoid_norms, relu_norms), start=1):
    print(f"layer {layer:2}: sigmoid {s:.2e}   relu {r:.2e}")
show(plot_norms({"sigmoid": sigmoid_norms, "ReLU": relu_norms}, "10 layers, default initialisation", "depth"))
assert sigmoid_norms[0] < 1e-3 * sigmoid_norms[-1], "the sigmoid network's first layer gets almost nothing"

# %% [markdown]
# The sigmoid network's first layer receives a gradient more than a million times smaller than
# its last: it is the $(1/4)^{10}$ of the derivation, made visible. The ReLU network's
# gradients shrink too, but by a factor of about a hundred, not a million. ReLU's derivative
# is 1 where it is active; what shrinks its gradient is the weights' scale, which is next.
#
# ## Keeping the signal's size: Xavier and Kaiming
#
# Why did ReLU not shrink? Partly luck in the weights' size. Look at one neuron,
# $z = \sum_{i=1}^{n} w_i x_i$, with $n$ inputs $x_i$ and weights $w_i$ drawn independently
# with mean 0. The variance of a sum of independent terms is the sum of their variances, and
# for one term, with $w$ and $x$ independent and $\mathbb E[w] = 0$,
# $\operatorname{Var}(wx) = \mathbb E[w^2x^2] - (\mathbb E[w]\,\mathbb E[x])^2 = \mathbb E[w^2]\,\mathbb E[x^2]$,
# which is $\operatorname{Var}(w)\operatorname{Var}(x)$ when $x$ has mean 0 too (for a ReLU's
# output, read $\operatorname{Var}(x)$ as the mean square $\mathbb E[x^2]$). So:
#
# $$\operatorname{Var}(z) = \sum_{i=1}^{n} \operatorname{Var}(w_i)\operatorname{Var}(x_i)
#   = n \operatorname{Var}(w) \operatorname{Var}(x).$$
#
# To keep $\operatorname{Var}(z) = \operatorname{Var}(x)$ from layer to layer, choose
# $\operatorname{Var}(w) = 1/n$ (**Xavier/Glorot**, for tanh and sigmoid, near-linear at 0).
# A ReLU sets half of its inputs to 0, which halves the mean square it passes on:
# $\mathbb E[\mathrm{relu}(z)^2] = \tfrac12 \operatorname{Var}(z)$. To make up for it,
# $\operatorname{Var}(w) = 2/n$ (**Kaiming/He**). The same argument, run backwards over
# $\partial L/\partial x_i = \sum_j w_{ji}\,\partial L/\partial z_j$, keeps the gradient's size.
#
# Measure it: the standard deviation of every ReLU layer's output in a 20-layer network, for
# three weight scales.


# %%
def activation_stds(weight_std, depth=20, width=256, seed=0):
    rng = np.random.default_rng(seed)
    h = x_all[:512]
    stds = []
    for _ in range(depth):
        w = rng.normal(0.0, weight_std(h.shape[1]), size=(h.shape[1], width))
        h = np.maximum(h @ w, 0.0)
        stds.append(float(h.std()))
    return stds


scales = {
    "Var(w) = 1/(3n)  (the default Linear)": lambda n: np.sqrt(1 / (3 * n)),
    "Var(w) = 1/n  (Xavier)": lambda n: np.sqrt(1 / n),
    "Var(w) = 2/n  (Kaiming)": lambda n: np.sqrt(2 / n),
}
curves = {label: activation_stds(scale) for label, scale in scales.items()}
for label, stds in curves.items():
    print(f"{label:<40} layer 1: {stds[0]:.3f}   layer 20: {stds[-1]:.2e}")
figure = Figure(figsize=(7, 3.8))
axes = figure.subplots()
for label, stds in curves.items():
    axes.semilogy(range(1, 21), stds, "o-", label=label)
axes.set_xlabel("ReLU layer")
axes.set_ylabel("std of the layer's output")
axes.set_title("Only Var(w) = 2/n keeps the signal's size")
axes.legend(fontsize=8)
figure.tight_layout()
figure.savefig(OUT / "init.png")
show(OUT / "init.png")
kaiming = curves["Var(w) = 2/n  (Kaiming)"]
assert 0.3 < kaiming[-1] / kaiming[0] < 3, "Kaiming keeps the scale"
assert curves["Var(w) = 1/n  (Xavier)"][-1] < 0.01 * curves["Var(w) = 1/n  (Xavier)"][0]

# %% [markdown]
# With $\operatorname{Var}(w) = 1/n$ each ReLU layer halves the mean square: after 20 layers
# the signal is $2^{-10} \approx 10^{-3}$ of its size. With $2/n$ it stays put. PyTorch's default
# `Linear` uses $\operatorname{Var}(w) = 1/(3n)$, which shrinks even faster in deep ReLU
# stacks; that is why deep networks call `nn.init.kaiming_normal_` explicitly.
#
# ## Batch normalisation
#
# Initialisation sets the scale at the start; training moves the weights and the scale drifts.
# **Batch normalisation** fixes the scale at every step: for each feature, over the batch,
#
# $$\hat z = \frac{z - \mu_{\text{batch}}}{\sqrt{\sigma^2_{\text{batch}} + \varepsilon}}, \qquad
#   \text{out} = \gamma \hat z + \beta,$$
#
# so $\hat z$ has mean 0 and variance 1 whatever the weights, and $\gamma$, $\beta$ are learned.
# Before a sigmoid this keeps $z$ near 0, exactly where $\sigma'$ is largest (¼). The gradient
# flows back *through* $\mu$ and $\sigma$ too: the engine differentiates the formula as
# written. At evaluation (`model.eval()`) the batch statistics are replaced by running
# averages collected during training, so one image's answer does not depend on its batch.

# %%
bn_norms = gradient_norms(deep_network(nn.Sigmoid, batch_norm=True))
show(
    plot_norms(
        {"sigmoid": sigmoid_norms, "sigmoid + BatchNorm": bn_norms, "ReLU": relu_norms},
        "10 layers: batch normalisation lets the gradient through",
        "batchnorm",
    )
)
print(
    f"first layer / last layer: sigmoid {sigmoid_norms[0] / sigmoid_norms[-1]:.1e}, "
    f"with BatchNorm {bn_norms[0] / bn_norms[-1]:.1e}"
)
assert bn_norms[0] / bn_norms[-1] > 100 * sigmoid_norms[0] / sigmoid_norms[-1]

# %% [markdown]
# ## Does it matter for training?
#
# Train each 10-layer network with the same SGD for 3 epochs of 3,000 images and compare the
# loss. (Small budgets, so that the lesson runs in seconds; the ranking is the point.)


# %%
def train(model, epochs=3, batch=64, lr=0.02, seed=0):
    rng = np.random.default_rng(seed)
    optimizer = tg.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(x_all))
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            optimizer.zero_grad()
            F.cross_entropy(model(Tensor(x_all[chosen])), y_all[chosen]).backward()
            optimizer.step()
    model.eval()
    with tg.no_grad():
        return F.cross_entropy(model(Tensor(x_all)), y_all).item()


final_loss = {
    "sigmoid": train(deep_network(nn.Sigmoid)),
    "sigmoid + BatchNorm": train(deep_network(nn.Sigmoid, batch_norm=True)),
    "ReLU, Kaiming": train(deep_network(nn.ReLU, init=nn.init.kaiming_normal_)),
}
for label, loss in final_loss.items():
    print(f"{label:<22} training loss after 3 epochs: {loss:.3f}")
print(f"(guessing uniformly among 10 digits gives ln 10 = {np.log(10):.3f})")
assert final_loss["sigmoid"] > 2.0 > 1.0 > max(final_loss["sigmoid + BatchNorm"], final_loss["ReLU, Kaiming"])

# %% [markdown]
# The plain sigmoid network has barely left $\ln 10$, the loss of guessing: its first layers
# never received a gradient worth the name. The same network with batch normalisation
# learns, and so does the ReLU network with Kaiming's initialisation.

# %% [markdown]
# ## Exercises
#
# 1. **tanh.** Derive the largest value of $\tanh'(z) = 1 - \tanh^2(z)$ (where is it reached?).
#    Predict whether a 10-layer tanh network's first layer gets more or less gradient than the
#    sigmoid network's, then measure it with `gradient_norms`.
# 2. **Kaiming, derived.** Show that for $z$ symmetric around 0,
#    $\mathbb E[\mathrm{relu}(z)^2] = \tfrac12\operatorname{Var}(z)$. Then check it with
#    NumPy on a million samples of $z \sim \mathcal N(0, 3^2)$.
# 3. **Train and eval.** Put one `nn.BatchNorm1d(4)` in training mode and feed it the same
#    image twice, once in a batch of 8 and once in a batch of 16 different rows. Does the
#    output for that image change? Then call `.eval()` and answer again.

# %% [markdown] tags=["solution"]
# ## Solutions

# %% [markdown] tags=["solution"]
# ### Solution 1: tanh
#
# $\tanh^2(z) \ge 0$, so $1 - \tanh^2(z) \le 1$, with equality at $z = 0$. A tanh layer can pass
# the gradient on at full size where it is not saturated: four times what a sigmoid can.

# %% tags=["solution"] jupyter={"source_hidden": true}
tanh_norms = gradient_norms(deep_network(nn.Tanh))
print(f"first layer: tanh {tanh_norms[0]:.2e}, sigmoid {sigmoid_norms[0]:.2e}")
assert tanh_norms[0] > 100 * sigmoid_norms[0]

# %% [markdown] tags=["solution"]
# ### Solution 2: Kaiming, derived
#
# $\mathrm{relu}(z)^2$ is $z^2$ where $z > 0$ and $0$ elsewhere. For $z$ symmetric around 0,
# $z^2$ has the same distribution on both sides, so half of $\mathbb E[z^2]$ comes from
# $z > 0$: $\mathbb E[\mathrm{relu}(z)^2] = \tfrac12\mathbb E[z^2] = \tfrac12\operatorname{Var}(z)$
# (the mean of $z$ is 0).

# %% tags=["solution"] jupyter={"source_hidden": true}
samples = np.random.default_rng(1).normal(0.0, 3.0, size=1_000_000)
measured = np.mean(np.maximum(samples, 0.0) ** 2)
print(f"E[relu(z)²] = {measured:.3f}, Var(z)/2 = {9 / 2}")
assert abs(measured - 4.5) < 0.05

# %% [markdown] tags=["solution"]
# ### Solution 3: train and eval
#
# In training mode the output depends on the batch's mean and variance, so the same image gets
# different answers in different batches. In eval mode the running statistics are used, and
# the answer is the image's own.

# %% tags=["solution"] jupyter={"source_hidden": true}
norm = nn.BatchNorm1d(4)
rng3 = np.random.default_rng(3)
image, others8, others16 = rng3.normal(size=(1, 4)), rng3.normal(size=(7, 4)), rng3.normal(size=(15, 4)) * 3
in8 = norm(Tensor(np.concatenate([image, others8]))).data[0]
in16 = norm(Tensor(np.concatenate([image, others16]))).data[0]
norm.eval()
eval8 = norm(Tensor(np.concatenate([image, others8]))).data[0]
eval16 = norm(Tensor(np.concatenate([image, others16]))).data[0]
print("train mode:", in8.round(3), in16.round(3))
print("eval mode: ", eval8.round(3), eval16.round(3))
assert not np.allclose(in8, in16) and np.allclose(eval8, eval16)
