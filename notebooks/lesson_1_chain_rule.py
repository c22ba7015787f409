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
# # Lesson 1: the chain rule, on numbers you can check by hand
#
# A derivative says how much an output moves when an input moves a little. Backpropagation
# computes all of them at once, with one rule: **the chain rule**. In this lesson we
#
# 1. build a small formula as a graph of operations,
# 2. compute its derivatives by hand, from the local derivative of each operation,
# 3. let `tg.explain` show every path from the output back to an input, and the
#    products and sums that make the gradient,
# 4. watch the engine do it, one step at a time (the backprop player).
#
# For the class: 45 minutes, no prerequisites beyond the derivative of a product.

# %%
import numpy as np

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor
from viz.graph import graph_structure

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_1_chain_rule, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson1")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## A formula as a graph
#
# $L = \tanh(a \cdot b + c) \cdot a$ with $a = 2$, $b = -3$, $c = 10$. Every operation
# becomes a node that remembers its inputs: that is all the engine needs to go back.

# %%
a = Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
b = Tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
c = Tensor(10.0, dtype=np.float64, requires_grad=True, name="c")
e = a * b
e.name = "e"
d = e + c
d.name = "d"
t = d.tanh()
t.name = "t"
L = t * a
L.name = "L"
print("e =", e.item(), " d =", d.item(), " t =", round(t.item(), 6), " L =", round(L.item(), 6))
show(viz.draw_graph(L), "graph")

# %% [markdown]
# ## The chain rule by hand
#
# Each operation knows its own *local* derivative:
#
# | operation | local derivatives |
# |---|---|
# | $e = a \cdot b$ | $\partial e/\partial a = b$, $\partial e/\partial b = a$ |
# | $d = e + c$ | $\partial d/\partial e = 1$, $\partial d/\partial c = 1$ |
# | $t = \tanh d$ | $\partial t/\partial d = 1 - t^2$ |
# | $L = t \cdot a$ | $\partial L/\partial t = a$, $\partial L/\partial a = t$ |
#
# The chain rule multiplies local derivatives along a path from $L$ back to an input. But
# $a$ is used **twice** (in $e$ and in $L$), so there are two paths from $L$ to $a$, and
# their contributions **add up**:
#
# $$\frac{\partial L}{\partial a} = \underbrace{t}_{\text{direct}} +
# \underbrace{a \cdot (1 - t^2) \cdot 1 \cdot b}_{\text{through } e}$$

# %%
t_value = np.tanh(2.0 * -3.0 + 10.0)
direct = t_value
through_e = 2.0 * (1 - t_value**2) * 1.0 * -3.0
print(f"direct path:    {direct:.6f}")
print(f"path through e: {through_e:.6f}")
print(f"dL/da by hand:  {direct + through_e:.6f}")

# %% [markdown]
# ## `tg.explain`: every path, every factor
#
# `tg.explain(L, a)` walks the recorded graph, lists every path from `L` back to `a` with the
# local derivative of each step (computed by each op's own backward), multiplies along each
# path, adds the paths, and checks the sum against the engine's gradient.

# %%
explanation = tg.explain(L, a)

# %% [markdown]
# Each path is returned too: `explanation.paths[k].tensors` and `.contexts` (the ops) are the
# nodes along it, so we can draw it. Here is path 1, the one through $e$, $d$ and $t$:

# %%
structure = graph_structure(L)  # the node ids draw_graph uses
picture = viz.draw_graph(L)
for tensor in explanation.paths[0].tensors:
    picture.node(structure.value_id(tensor), color="red", penwidth="3")
for ctx in explanation.paths[0].contexts:
    picture.node(structure.op_id(ctx), color="red", penwidth="3")
show(picture, "path_1")


# %% [markdown]
# Is the engine right? A derivative is a limit, so we can estimate it with a small step $h$
# (central differences): $\frac{f(a+h) - f(a-h)}{2h}$.


# %%
def f(a, b, c):
    return np.tanh(a * b + c) * a


h = 1e-6
numerical = (f(2 + h, -3, 10) - f(2 - h, -3, 10)) / (2 * h)
print(f"numerical: {numerical:.8f}   explain: {explanation.gradient.item():.8f}")
for leaf in (b, c):
    tg.explain(L, leaf)

# %% [markdown]
# Notice how small $\partial L/\partial c$ is: $\tanh(4) \approx 0.9993$ is nearly flat, so
# $1 - t^2$ is tiny. A saturated tanh (or sigmoid) passes almost no gradient back: this is the
# *vanishing gradient* you will meet again in deep networks.
#
# ## Backpropagation, one step at a time
#
# `viz.backprop_frames(L)` runs the engine's real backward pass (`tg.backward_steps`) and draws
# one picture per step: the op being differentiated, the gradient arriving from above, and
# what it sends to each input. When the walk reaches `a`, its two contributions add up.

# %%
frames = viz.backprop_frames(L)
for frame in frames:
    print(f"frame {frame.index}: {frame.caption}")
show(frames[1], "frame_1")

# %%
show(frames[-1], "frame_last")
for leaf in (a, b, c):
    print(f"{leaf.name}.grad = {leaf.grad.item():.6f}")

# %% [markdown]
# ## The player
#
# The same frames as a player, right here in the notebook: click inside it, then step with the
# arrow keys or the buttons. Press **P** for predict mode: each step first asks for its local
# derivative, then for what each input receives, and answers on the next key press, so the
# class can work out each number before it appears. `viz.player(L)` makes one from any output.
# From a terminal, the same page for any formula:
#
# ```
# python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out player
# ```

# %%
show(viz.Player(frames, "L = tanh(a·b + c) · a, backpropagation step by step"), "player")

# %% [markdown]
# ## Exercises
#
# 1. Change `c` to `0.5`. Before you run anything, compute $d = ab + c$ and $1 - t^2$ by hand,
#    and predict for each of $\partial L/\partial a$, $\partial L/\partial b$, $\partial L/\partial c$
#    whether it grows or shrinks, and why. Then check. Which value of $c$ makes
#    $\partial L/\partial c$ as large as it can be?
# 2. Use `b` a second time, e.g. `L = t * a + b * b`. How many paths lead to `b` now? Check
#    with `tg.explain`.
# 3. Replace `tanh` by `sigmoid`; its local derivative is $\sigma(1 - \sigma)$. Verify one path
#    product by hand.

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.

# %% [markdown] tags=["solution"]
# ### Solution 1: move `c`
#
# <details><summary>Hint</summary>
#
# Every path from $L$ to $a$, $b$ or $c$ through $t$ carries the factor $1 - t^2$. Where is
# $\tanh$ steep, and where is it flat? Compute $d = a b + c$ first.
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
def gradients_for(c_value):
    """dL/da, dL/db, dL/dc and t for L = tanh(a*b + c) * a at a = 2, b = -3."""
    a1, b1, c1 = (Tensor(v, dtype=np.float64, requires_grad=True) for v in (2.0, -3.0, c_value))
    t1 = (a1 * b1 + c1).tanh()
    (t1 * a1).backward()
    return a1.grad.item(), b1.grad.item(), c1.grad.item(), t1.item()


for c_value in (10.0, 0.5, 6.0):
    da, db, dc, t_at = gradients_for(c_value)
    print(
        f"c = {c_value:4}: d = {-6 + c_value:5}  1 - t² = {1 - t_at**2:.2e}  dL/da = {da:+.5f}  "
        f"dL/db = {db:+.5f}  dL/dc = {dc:+.5f}"
    )
# With c = 0.5, d = -5.5 sits even further out on the flat part of tanh than d = 4 did: 1 - t² drops
# from 1.3e-3 to 6.7e-5, so the gradients through t SHRINK (dL/da keeps its direct term t ≈ -1).
# They grow when d is near 0, where tanh is steepest: c = 6 gives 1 - t² = 1 and dL/dc = a = 2.
assert abs(gradients_for(0.5)[2]) < abs(gradients_for(10.0)[2]) < abs(gradients_for(6.0)[2])
assert np.isclose(gradients_for(6.0)[2], 2.0)

# %% [markdown] tags=["solution"]
# ### Solution 2: use `b` a second time
#
# <details><summary>Hint</summary>
#
# `b * b` is one multiplication whose two inputs are both `b`: each input slot is a path of its
# own. Count the paths through `e` too.
# </details>


# %% tags=["solution"] jupyter={"source_hidden": true}
def leaves():
    """Fresh a, b, c with the lesson's values and names (the lesson's own stay as they were)."""
    return (Tensor(v, dtype=np.float64, requires_grad=True, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c")))


def named(tensor, name):
    tensor.name = name
    return tensor


a2, b2, c2 = leaves()
t2 = named(named(named(a2 * b2, "e") + c2, "d").tanh(), "t")
L2 = named(named(t2 * a2, "ta") + named(b2 * b2, "bb"), "L")
explanation_b = tg.explain(L2, b2)
print("paths from L to b:", len(explanation_b.paths))
# One path through e = a·b (factor a · (1 - t²) · a), and two through b·b (each factor b):
# dL/db = a²(1 - t²) + 2b.
by_hand = 2.0**2 * (1 - t2.item() ** 2) + 2 * -3.0
assert len(explanation_b.paths) == 3
assert np.isclose(explanation_b.gradient.item(), by_hand)

# %% [markdown] tags=["solution"]
# ### Solution 3: sigmoid instead of tanh
#
# <details><summary>Hint</summary>
#
# Only one row of the table changes: $\partial s/\partial d = \sigma(d)(1 - \sigma(d))$. The path
# through $e$ is still $a \cdot s'(d) \cdot 1 \cdot b$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
a3, b3, c3 = leaves()
s3 = named(named(named(a3 * b3, "e") + c3, "d").sigmoid(), "s")
L3 = named(s3 * a3, "L")
explanation_a = tg.explain(L3, a3)
sigma = 1 / (1 + np.exp(-(2.0 * -3.0 + 10.0)))
direct_path = sigma
path_through_e = 2.0 * sigma * (1 - sigma) * 1.0 * -3.0
print(f"direct: {direct_path:.6f}  through e: {path_through_e:.6f}  sum: {direct_path + path_through_e:.6f}")
products = sorted(path.product for path in explanation_a.paths)
assert np.allclose(products, sorted([direct_path, path_through_e]))
assert np.isclose(explanation_a.gradient.item(), direct_path + path_through_e)
