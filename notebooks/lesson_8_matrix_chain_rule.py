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
# # Lesson 8: the matrix chain rule
#
# A layer computes $Y = XW$ for a whole batch at once, and backpropagation hands it
# $G = \partial L / \partial Y$, a matrix shaped like $Y$. What it must send back are two more
# matrices: $\partial L/\partial W = X^\top G$ and $\partial L/\partial X = G W^\top$. In this
# lesson we
#
# 1. let the **shapes** tell us where the transposes go,
# 2. derive $X^\top G$ from the element-wise chain rule (every path from $W_{ij}$ to the
#    loss), and check it, number by number, against the engine,
# 3. see why the gradient of a **bias** is a sum over the batch,
# 4. backpropagate through a two-layer network by hand, with matrices only.
#
# For the class: 45 minutes, after lessons 1 and 3 (the chain rule; a layer as a matrix product).

# %%
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_8_matrix_chain_rule, from the repository
    from notebooks.lesson_tools import Pictures

np.set_printoptions(precision=4, suppress=True)
pictures = Pictures("lesson8")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## One layer, and the gradient it receives
#
# A batch of $N = 4$ examples with 3 features each is a matrix $X$ of shape (4, 3); a layer
# of 2 neurons is a matrix $W$ of shape (3, 2); their product $Y = XW$ is (4, 2): one row per
# example, one column per neuron. Whatever comes after the layer, backpropagation arrives
# with $G = \partial L/\partial Y$, one number per element of $Y$. To see the layer alone,
# we take $L = \sum_{n,k} G_{nk} Y_{nk}$ for a fixed random $G$: then $\partial L/\partial Y$
# is exactly $G$.

# %%
rng = np.random.default_rng(0)
X = Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="X")
W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W")
G = rng.normal(size=(4, 2))  # ∂L/∂Y, as backprop would hand it to the layer
Y = X @ W
Y.name = "Y"
weighted = Y * G
weighted.name = "G·Y"
L = weighted.sum()
L.name = "L"
L.backward(retain_graph=True)
print("X", X.shape, " W", W.shape, " Y = X @ W", Y.shape, " G = ∂L/∂Y", G.shape)
show(viz.draw_graph(L), "layer")

# %% [markdown]
# ## Shapes as a guide
#
# $\partial L/\partial W$ has one number per weight, so it has **W's shape**, (3, 2). What
# can we make from $G$ (4, 2) and $X$ (4, 3)? The batch axis, 4, must disappear (it is summed
# over), and only one product does that: $X^\top G$, (3, 4) @ (4, 2) = (3, 2). Likewise
# $\partial L/\partial X$ has X's shape (4, 3), and the only product of $G$ with $W$ or
# $W^\top$ that gives it is $G W^\top$, (4, 2) @ (2, 3).
#
# The shapes do not prove the formula, but they rule out every other arrangement: when you
# forget a transpose, the matrix product fails (or, for square matrices, silently gives the
# wrong answer: check with shapes that all differ).

# %%
print("Xᵀ @ G:", (X.data.T @ G).shape, "   W:", W.shape)
print("G @ Wᵀ:", (G @ W.data.T).shape, "   X:", X.shape)
try:
    X @ Tensor(G)  # the wrong arrangement: (4, 3) @ (4, 2)
except tg.ShapeError as error:
    print("X @ G fails:", error)

# %% [markdown]
# ## $X^\top G$ from the element-wise chain rule
#
# Write one element of the product, with its own summation index $m$:
# $Y_{nk} = \sum_m X_{nm} W_{mk}$. Which elements of $Y$ does the weight $W_{ij}$ touch? It
# appears only in the term with $m = i$, and only in column $k = j$: in $Y_{nj}$ for **every
# row $n$ of the batch**, each time multiplied by $X_{ni}$. So there are $N$ paths from
# $W_{ij}$ to $L$, one per example, and the chain rule adds them up:
#
# $$\frac{\partial L}{\partial W_{ij}} = \sum_n \underbrace{\frac{\partial L}{\partial Y_{nj}}}_{G_{nj}}
#   \cdot \underbrace{\frac{\partial Y_{nj}}{\partial W_{ij}}}_{X_{ni}}
#   = \sum_n X_{ni} G_{nj} = (X^\top G)_{ij}.$$
#
# Here are the four paths for $W_{1,0}$, with their numbers:

# %%
i, j = 1, 0
total = 0.0
for n in range(X.shape[0]):
    term = X.data[n, i] * G[n, j]
    total += term
    print(
        f"path through Y[{n},{j}]:  ∂Y[{n},{j}]/∂W[{i},{j}] = X[{n},{i}] = {X.data[n, i]:+.4f}"
        f"   × ∂L/∂Y[{n},{j}] = {G[n, j]:+.4f}   = {term:+.4f}"
    )
print(f"sum over the batch: {total:+.6f}")
print(f"(Xᵀ G)[{i},{j}]:       {(X.data.T @ G)[i, j]:+.6f}")
print(f"engine W.grad[{i},{j}]: {W.grad.data[i, j]:+.6f}")
assert np.isclose(total, W.grad.data[i, j])

# %% [markdown]
# `tg.explain(L, W, element=(1, 0))` finds the same four paths in the graph the engine
# recorded, one per row of the batch, multiplies the local derivatives along each, and checks
# that they add up to the gradient:

# %%
explanation = tg.explain(L, W, element=(i, j))
assert explanation.matches

# %% [markdown]
# The same sum for every $(i, j)$ at once is one matrix product. The engine's `MatMul`
# backward is exactly these two lines (see `tinygrad_edu/ops/linalg.py`):
#
# ```python
# grad_a = grad_output @ b.mT      # ∂L/∂A = G · Bᵀ
# grad_b = a.mT @ grad_output      # ∂L/∂B = Aᵀ · G
# ```

# %%
print("W.grad:\n", W.grad.data)
print("Xᵀ G:\n", X.data.T @ G)
print("X.grad matches G Wᵀ:", np.allclose(X.grad.data, G @ W.data.T))
print("W.grad matches Xᵀ G:", np.allclose(W.grad.data, X.data.T @ G))
print("and both match central differences:", tg.gradcheck(lambda X, W: ((X @ W) * G).sum(), [X, W]))

# %% [markdown]
# ## Why the bias gradient is a sum over the batch
#
# Add a bias: $Z = XW + b$ with $b$ of shape (2,). NumPy *broadcasts* it: the same $b$ is
# added to each of the 4 rows. So $b_j$ has one path to the loss per row, with local
# derivative $\partial Z_{nj}/\partial b_j = 1$, and the chain rule adds the paths:
#
# $$\frac{\partial L}{\partial b_j} = \sum_n G_{nj} \cdot 1,
#   \qquad \frac{\partial L}{\partial b} = \text{the column sums of } G.$$
#
# It is the same reason as for $W$: a parameter **shared by every example** collects one
# contribution per example. (The engine does this sum in one place for every broadcast
# input, `tinygrad_edu/broadcast.py`.)

# %%
bias = Tensor(np.zeros(2), requires_grad=True, name="bias")
Z = X.detach() @ W.detach() + bias
(Z * G).sum().backward()
print("bias.grad:          ", bias.grad.data)
print("G summed over rows: ", G.sum(axis=0))
assert np.allclose(bias.grad.data, G.sum(axis=0))

# %% [markdown]
# ## Two layers by hand, with matrices only
#
# A network for 3 classes: $Z_1 = XW_1 + b_1$, $H = \text{relu}(Z_1)$, $Z_2 = HW_2 + b_2$,
# $L = $ cross-entropy of the logits $Z_2$. Backpropagation is the rules above, applied from
# the loss back:
#
# | step | formula | shape |
# |---|---|---|
# | loss | $G_2 = (\text{softmax}(Z_2) - \text{onehot}(y)) / N$ | (N, 3) |
# | second layer | $\partial W_2 = H^\top G_2$,  $\partial b_2 = \sum_n G_2$ | (5, 3), (3,) |
# | back to the hidden layer | $G_H = G_2 W_2^\top$ | (N, 5) |
# | relu | $G_1 = G_H \odot [Z_1 > 0]$ | (N, 5) |
# | first layer | $\partial W_1 = X^\top G_1$,  $\partial b_1 = \sum_n G_1$ | (3, 5), (5,) |

# %%
labels = np.array([0, 2, 1, 2])
W1 = Tensor(rng.normal(size=(3, 5)) * 0.5, requires_grad=True, name="W1")
b1 = Tensor(np.zeros(5), requires_grad=True, name="b1")
W2 = Tensor(rng.normal(size=(5, 3)) * 0.5, requires_grad=True, name="W2")
b2 = Tensor(np.zeros(3), requires_grad=True, name="b2")
inputs = X.detach()
loss = F.cross_entropy((inputs @ W1 + b1).relu() @ W2 + b2, labels)
loss.backward()

# the same, by hand, in NumPy
Z1 = inputs.data @ W1.data + b1.data
H = np.maximum(Z1, 0)
Z2 = H @ W2.data + b2.data
P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
P /= P.sum(axis=1, keepdims=True)
G2 = (P - np.eye(3)[labels]) / len(labels)
dW2, db2, GH = H.T @ G2, G2.sum(axis=0), G2 @ W2.data.T
G1 = GH * (Z1 > 0)
dW1, db1 = inputs.data.T @ G1, G1.sum(axis=0)
for name, by_hand, engine in [("W1", dW1, W1), ("b1", db1, b1), ("W2", dW2, W2), ("b2", db2, b2)]:
    print(f"∂L/∂{name} {str(by_hand.shape):8} by hand = engine: {np.allclose(by_hand, engine.grad.data)}")
    assert np.allclose(by_hand, engine.grad.data)

# %% [markdown]
# ## Exercises
#
# 1. **∂L/∂X by paths.** In the first layer above, list the paths from $X_{2,1}$ to $L$ (how
#    many are there, and through which elements of $Y$?), add up their contributions and
#    compare with `X.grad` and with $(G W^\top)_{2,1}$.
# 2. **PyTorch's layout.** `nn.Linear` stores its weight as (out, in) and computes
#    $Y = X W^\top + b$. Use the shapes to guess $\partial L/\partial W$ for this layout,
#    then check your guess against the engine on `tg.nn.Linear(3, 2)`.
# 3. **A bias per example.** Replace the bias by `c` of shape (4, 1): one number per
#    example, shared by the 2 neurons. What is $\partial L/\partial c$? Check it on the engine.
# 4. **Batch size.** Double the batch (stack $X$ on itself, and $G$ on itself). What happens
#    to $\partial L/\partial W$, and why? What changes if the loss is a *mean* over the batch
#    instead of a sum?

# %% [markdown] tags=["solution"]
# ## Solutions

# %% [markdown] tags=["solution"]
# ### Solution 1: ∂L/∂X by paths
#
# <details><summary>Hint</summary>
# X[2, 1] appears in row 2 of Y only, once per neuron k, with local derivative W[1, k].
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
row, column = 2, 1
paths = [W.data[column, k] * G[row, k] for k in range(W.shape[1])]  # one path per neuron: through Y[2, k]
print(f"{len(paths)} paths, contributions {np.round(paths, 4)}, sum {sum(paths):+.6f}")
print(f"X.grad[2, 1] = {X.grad.data[row, column]:+.6f},  (G Wᵀ)[2, 1] = {(G @ W.data.T)[row, column]:+.6f}")
assert np.isclose(sum(paths), X.grad.data[row, column])
assert np.isclose(sum(paths), (G @ W.data.T)[row, column])

# %% [markdown] tags=["solution"]
# ### Solution 2: PyTorch's layout
#
# <details><summary>Hint</summary>
# ∂L/∂W has W's shape (out, in) = (2, 3); G is (N, 2) and X is (N, 3).
# </details>
#
# The only product with shape (2, 3) is $G^\top X$: the transpose of the (in, out) case,
# as it should be, since this $W$ is the transpose of that one.

# %% tags=["solution"] jupyter={"source_hidden": true}
linear = tg.nn.Linear(3, 2)
linear_inputs = Tensor(X.data)
(linear(linear_inputs) * G).sum().backward()
print("weight", linear.weight.shape, " Gᵀ X:\n", G.T @ X.data)
assert np.allclose(linear.weight.grad.data, G.T @ X.data)
assert np.allclose(linear.bias.grad.data, G.sum(axis=0))

# %% [markdown] tags=["solution"]
# ### Solution 3: a bias per example
#
# $c_n$ is added to both elements of row $n$, so its gradient is the **row** sum of $G$:
# the sum runs over the axis along which $c$ was broadcast (here the neurons, not the batch).

# %% tags=["solution"] jupyter={"source_hidden": true}
per_example = Tensor(np.zeros((4, 1)), requires_grad=True, name="c")
((X.detach() @ W.detach() + per_example) * G).sum().backward()
print("c.grad:", per_example.grad.data.ravel(), "  G summed over columns:", G.sum(axis=1))
assert np.allclose(per_example.grad.data, G.sum(axis=1, keepdims=True))

# %% [markdown] tags=["solution"]
# ### Solution 4: the batch size
#
# $X^\top G = \sum_n X_n^\top G_n$ is a sum over the examples: with every example twice, the
# gradient doubles. With a mean over the batch, $G$ is divided by $N$, and the gradient is
# the same for both batches. That is why losses are averaged: the step size does not depend
# on the batch size.

# %% tags=["solution"] jupyter={"source_hidden": true}
X_twice = np.concatenate([X.data, X.data])
G_twice = np.concatenate([G, G])
W_again = Tensor(W.data, requires_grad=True)
((Tensor(X_twice) @ W_again) * G_twice).sum().backward()
assert np.allclose(W_again.grad.data, 2 * W.grad.data)
W_mean = Tensor(W.data, requires_grad=True)
mean_loss = ((Tensor(X_twice) @ W_mean) * G_twice).sum() / len(X_twice)
mean_loss.backward()
assert np.allclose(W_mean.grad.data, W.grad.data / len(X.data))
print("summed loss: gradient doubles; mean loss: the same gradient for either batch")
