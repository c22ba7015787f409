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
# # Lesson 10: convolution and its gradient
#
# A convolution slides a small kernel over a signal and takes a dot product at each stop. We write
# a 1-D convolution by hand, derive its backward pass on paper (the gradient of a convolution is
# again a convolution, with the kernel flipped), check the engine's `conv2d` against both, run
# `check_op` on it, and finally train a small convolutional network on MNIST next to an MLP:
# accuracy, parameters and time.

# %%
import time

import numpy as np
from threadpoolctl import threadpool_limits

import tinygrad_edu as tg
import viz
from mnist import data
from mnist.model import ModelSpec, build_model, count_parameters, parse_arch
from tinygrad_edu import Tensor, optim
from tinygrad_edu.debug.check_op import check_op
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops.conv import Conv2d
from viz.plots import plot_conv_filters, plot_feature_maps

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_10_convolution, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson10")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## A 1-D convolution by hand
#
# A signal $x$ of length 7 and a kernel $k$ of length 3. The output has one entry per position
# where the kernel fits entirely, $7 - 3 + 1 = 5$:
#
# $$y_i = \sum_{p=0}^{2} x_{i+p} \, k_p .$$
#
# (Deep-learning libraries call this a convolution; a mathematician would call it a *correlation*,
# since the kernel is not flipped. We follow PyTorch.)

# %%
x_values = np.array([1.0, 2.0, 0.0, -1.0, 3.0, 1.0, 2.0])
k_values = np.array([1.0, 0.5, -1.0])


def conv1d_by_hand(x, k):
    return np.array([sum(x[i + p] * k[p] for p in range(len(k))) for i in range(len(x) - len(k) + 1)])


y_by_hand = conv1d_by_hand(x_values, k_values)
print("y by hand:      ", y_by_hand)
print("np.correlate:   ", np.correlate(x_values, k_values, mode="valid"))

# %% [markdown]
# The engine's `conv2d` works on images shaped (batch, channels, height, width) and kernels
# shaped (out channels, in channels, height, width). A 1-D signal is an image of height 1:

# %%
x = Tensor(x_values.reshape(1, 1, 1, 7), requires_grad=True, name="x")
k = Tensor(k_values.reshape(1, 1, 1, 3), requires_grad=True, name="k")
y = F.conv2d(x, k)
print("engine:         ", y.data.ravel())
assert np.allclose(y.data.ravel(), y_by_hand)

# %% [markdown]
# ## The backward pass, derived
#
# Take any upstream gradient $g_i = \partial L / \partial y_i$. Each $x_j$ reaches the outputs
# $y_i$ with $i + p = j$, with weight $k_p = k_{j-i}$, so by the chain rule
#
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i \, k_{j-i} ,$$
#
# a sum over every output the input touched. Read it as a *full* convolution: pad $g$ with
# $2$ zeros on each side and slide the **flipped** kernel $(k_2, k_1, k_0)$ over it. For the
# kernel, each $k_p$ multiplies $x_{i+p}$ in every output $y_i$:
#
# $$\frac{\partial L}{\partial k_p} = \sum_i g_i \, x_{i+p} ,$$
#
# the correlation of the input with the gradient. Both gradients are convolutions again.

# %%
g = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
padded_g = np.concatenate([np.zeros(2), g, np.zeros(2)])
grad_x_by_hand = conv1d_by_hand(padded_g, k_values[::-1])  # the flipped kernel
grad_k_by_hand = conv1d_by_hand(x_values, g)  # the input correlated with g

y.backward(g.reshape(1, 1, 1, 5))
print("∂L/∂x by hand:", grad_x_by_hand, "\n∂L/∂x engine: ", x.grad.data.ravel())
print("∂L/∂k by hand:", grad_k_by_hand, "\n∂L/∂k engine: ", k.grad.data.ravel())
assert np.allclose(x.grad.data.ravel(), grad_x_by_hand)
assert np.allclose(k.grad.data.ravel(), grad_k_by_hand)

# %% [markdown]
# The engine does exactly this. Its `Conv2d.backward` calls `Conv2dInputGrad` (the full
# convolution of $g$ with the flipped kernel) and `Conv2dWeightGrad` (the correlation of the
# input with $g$); both are ops whose own backward passes are convolutions, so even second
# derivatives stay convolutions. The forward is *im2col*: `sliding_window_view` lists every
# window, one matrix product does every dot product at once.

# %%
print(Conv2d.__doc__)

# %% [markdown]
# ## `check_op`: the engine's convolution meets every contract
#
# Gradients against central differences in float64, second derivatives, forward mode, and
# float32 in, float32 out. With stride, padding and two channels in, three out:

# %%
report = check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1), (2, 2, 6, 6), (3, 2, 3, 3), broadcast=False)
print(report)
assert report.ok

# %% [markdown]
# ## A small CNN against the MLP on MNIST
#
# Both models are data for `mnist.model`: the MLP `784-128-10` and the CNN
# `conv8k5-pool2-conv16k5-pool2-10` (two convolutions with max pooling, then one linear layer).
# Each trains for one epoch on the first 10,000 training images (batches of 32, Adam), and is
# tested on 2000 test images. One BLAS thread: for matrices this small it is the fastest choice,
# and on a machine shared with others by far.

# %%
train_images, train_labels = data.load("train")
test_images, test_labels = data.load("test")
x_train, y_train = data.to_float(train_images[:10000]), train_labels[:10000].astype(np.int64)
x_test, y_test = data.to_float(test_images[:2000]), test_labels[:2000].astype(np.int64)


def train_and_test(arch_text, epochs=1, seed=0):
    model = build_model(ModelSpec(parse_arch(arch_text)), np.random.default_rng(seed))
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    order = np.random.default_rng(seed)
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(epochs):
            model.train()
            for batch in np.array_split(order.permutation(len(x_train)), len(x_train) // 32):
                loss = F.cross_entropy(model(Tensor(x_train[batch])), y_train[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with tg.no_grad():
        accuracy = float(np.mean(model(Tensor(x_test)).data.argmax(axis=1) == y_test))
    return model, accuracy, seconds


results = {}
for arch_text in ("784-128-10", "conv8k5-pool2-conv16k5-pool2-10"):
    model, accuracy, seconds = train_and_test(arch_text)
    results[arch_text] = model
    print(f"{arch_text:34} {count_parameters(model):7,} parameters  {100 * accuracy:.1f}%  {seconds:.1f} s")

# %% [markdown]
# The CNN has far fewer parameters (its kernels are shared across every position of the image)
# and is more accurate; each step costs more arithmetic, so it takes longer. With all
# 60,000 images, `python -m mnist.train --preset cnn` passes 99.2%, where the best MLP stops
# near 98.9%.
#
# What did the first layer learn? Eight 5×5 filters (red positive, blue negative), and what
# each layer makes of one digit:

# %%
cnn = results["conv8k5-pool2-conv16k5-pool2-10"]
show(plot_conv_filters(cnn[1].weight, OUT / "filters.png", title="the first layer's filters"))
show(plot_feature_maps(cnn, x_test[0], OUT / "feature_maps.png", title=f"a {y_test[0]}, layer by layer"))

# %% [markdown]
# In the computation graph each layer is one box, as a `Linear` is:

# %%
with viz.trace_modules(cnn) as trace:
    logits = cnn(Tensor(x_test[:2], name="images"))
show(viz.draw_graph(F.cross_entropy(logits, y_test[:2]), modules=trace), "cnn_graph")

# %% [markdown]
# ## Exercises
#
# 1. Stride 2: the convolution keeps only every other output, $y_i = \sum_p x_{2i+p} k_p$. Derive
#    $\partial L / \partial x$ and check it against the engine (`F.conv2d(x, k, stride=2)`).
#    Hint: put a zero between neighbouring entries of $g$ first.
# 2. How many parameters does `nn.Conv2d(16, 32, 5)` have? Count them by hand, then check.
# 3. Average pooling is a convolution: show that `F.avg_pool2d(x, 2)` on 3 channels equals
#    `F.conv2d` with a constant kernel and `groups=3` (each channel alone).
# 4. **Max pooling's backward, derived.** For one window, $y = \max(x_1, \dots, x_k)$ with a
#    single largest $x_m$. (a) Nudge $x_m$ by a small $\delta$: how much does $y$ move? Nudge
#    another $x_j$ by a $\delta$ smaller than the gap $x_m - x_j$: how much now? So what are
#    $\partial y / \partial x_m$ and $\partial y / \partial x_j$? (b) What does the window send back
#    to each input, given $\partial L/\partial y$? (c) With overlapping windows (kernel 2,
#    stride 1), one input can win several windows: what does it receive? Check (b) and (c)
#    with `F.max_pool2d` on a 3x3 image.

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.

# %% [markdown] tags=["solution"]
# ### Solution 1
# <details><summary>Hint</summary>
# With stride 2, output i touches x at 2i, 2i+1, 2i+2. Spread g out to g₀, 0, g₁, 0, g₂ …, then
# it is the stride-1 case again: pad and slide the flipped kernel.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
x1 = Tensor(x_values.reshape(1, 1, 1, 7), requires_grad=True)
y1 = F.conv2d(x1, Tensor(k_values.reshape(1, 1, 1, 3)), stride=2)  # 3 outputs
g1 = np.array([1.0, -2.0, 0.5])
y1.backward(g1.reshape(1, 1, 1, 3))
spread = np.zeros(5)
spread[::2] = g1  # g₀, 0, g₁, 0, g₂
grad_x1 = conv1d_by_hand(np.concatenate([np.zeros(2), spread, np.zeros(2)]), k_values[::-1])
print("by hand:", grad_x1, "\nengine: ", x1.grad.data.ravel())
assert np.allclose(x1.grad.data.ravel(), grad_x1)

# %% [markdown] tags=["solution"]
# ### Solution 2
# <details><summary>Hint</summary>
# One 16×5×5 kernel per output channel, plus one bias each.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
by_hand = 32 * (16 * 5 * 5) + 32
print(by_hand, "parameters")
assert count_parameters(tg.nn.Conv2d(16, 32, 5)) == by_hand

# %% [markdown] tags=["solution"]
# ### Solution 3

# %% tags=["solution"] jupyter={"source_hidden": true}
images = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)))
constant = Tensor(np.full((3, 1, 2, 2), 1 / 4))
pooled = F.avg_pool2d(images, 2)
as_conv = F.conv2d(images, constant, stride=2, groups=3)
assert np.allclose(pooled.data, as_conv.data)
print("avg_pool2d = conv2d with a constant kernel, channel by channel ✓")

# %% [markdown] tags=["solution"]
# ### Solution 4: max pooling routes the gradient
#
# **(a)** Moving the winner $x_m$ by $\delta$ keeps it the largest (for small $\delta$), so $y$
# moves by exactly $\delta$: $\partial y/\partial x_m = 1$. Moving a loser by less than the gap
# leaves the maximum where it was, so $y$ does not move: $\partial y/\partial x_j = 0$.
# **(b)** By the chain rule the winner receives $\partial L/\partial y \cdot 1$ and every other input
# $\partial L/\partial y \cdot 0 = 0$: the window *routes* its whole gradient to its maximum.
# **(c)** Each window that an input wins sends it its $\partial L/\partial y$; a value used by several
# ops receives the sum (the multivariate chain rule). With a tie the maximum has a kink: the
# engine, like PyTorch, sends the gradient to the first of the tied values.

# %% tags=["solution"] jupyter={"source_hidden": true}
image4 = Tensor(np.array([[[[1.0, 5.0, 2.0], [0.0, 3.0, 4.0], [6.0, 1.0, 0.5]]]]), requires_grad=True)
pooled4 = F.max_pool2d(image4, 2, stride=1)  # four overlapping 2x2 windows
upstream4 = np.array([[[[0.1, 0.2], [0.3, 0.4]]]])
(pooled4 * Tensor(upstream4)).sum().backward()
# windows: top-left max 5, top-right max 5, bottom-left max 6, bottom-right max 4
expected4 = np.zeros((1, 1, 3, 3))
expected4[0, 0, 0, 1] = 0.1 + 0.2  # 5 wins two windows: their gradients add
expected4[0, 0, 2, 0] = 0.3
expected4[0, 0, 1, 2] = 0.4
print("maxima:", pooled4.data[0, 0].tolist())
print("what each pixel receives:\n", image4.grad.data[0, 0])
assert np.allclose(image4.grad.data, expected4)
