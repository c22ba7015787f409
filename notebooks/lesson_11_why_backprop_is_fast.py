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
# # Lesson 11: why backpropagation is fast
#
# Lesson 1 wrote a gradient as a **sum over paths**: every path from the output back to an
# input contributes the product of the local derivatives along it. That is true, and it is
# how to *think* about the chain rule. It is not how to *compute* it: in a graph where values
# are reused, the number of paths grows exponentially with depth. Backpropagation computes
# the same sum with one visit per node. In this lesson we
#
# 1. build a ladder whose paths double at every rung and count them with `tg.explain`,
# 2. count the steps `backward()` takes on the same graph,
# 3. time a path-by-path sum against `backward()` as the ladder grows,
# 4. see why the two agree: backpropagation is the path sum with every shared piece computed
#    once and reused (dynamic programming).
#
# For the class: 45 minutes, after lesson 1.

# %%
import math
import time

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
import viz
from tinygrad_edu import Tensor

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_11_why_backprop_is_fast, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson11")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## A ladder: every rung uses its input twice
#
# Start from $h_0 = x$ and repeat one rung $n$ times:
#
# $$h_{k+1} = \sin(h_k) + \cos(h_k).$$
#
# The value $h_k$ is used twice, once by $\sin$ and once by $\cos$, and both uses meet again
# in the sum. So from $h_{k+1}$ there are **two** ways back to $h_k$: through the sine and
# through the cosine.


# %%
def ladder(x, rungs):
    """h_{k+1} = sin(h_k) + cos(h_k), n times, starting from h_0 = x; every h_k is named."""
    h = x
    for k in range(rungs):
        h = h.sin() + h.cos()
        h.name = f"h{k + 1}"
    return h


x = Tensor(0.3, dtype=np.float64, requires_grad=True, name="x")
h3 = ladder(x, 3)
show(viz.draw_graph(h3), "ladder3")

# %% [markdown]
# ## Counting paths
#
# A path from $h_3$ back to $x$ picks, at each rung, the sine or the cosine: $2 \cdot 2 \cdot 2 = 8$
# paths. In general, with $n$ rungs, $2^n$ paths. `tg.explain` lists them (here all 8), each a
# product of local derivatives, and checks that they add up to the gradient.

# %%
explanation = tg.explain(h3, x)
assert explanation.total_paths == 8 and explanation.matches

# %% [markdown]
# ## Counting the work of `backward()`
#
# `tg.backward_steps` runs the engine's backward one op at a time. Each rung is three ops
# (sin, cos, +), so $n$ rungs are $3n$ steps, whatever the number of paths.

# %%
print(f"{'rungs n':>8} {'paths':>10} {'backward steps':>15}")
counts = []
for rungs in (1, 2, 4, 8, 12, 16, 20):
    x_n = Tensor(0.3, dtype=np.float64, requires_grad=True, name="x")
    top = ladder(x_n, rungs)
    paths = tg.explain(top, x_n, max_paths=1, show=False).total_paths  # counts every path
    steps = len(list(tg.backward_steps(top)))
    counts.append((rungs, paths, steps))
    print(f"{rungs:>8} {paths:>10,} {steps:>15}")
    assert paths == 2**rungs and steps == 3 * rungs

# %%
figure = Figure(figsize=(6, 3.6))
axes = figure.subplots()
axes.semilogy([n for n, _, _ in counts], [p for _, p, _ in counts], "o-", label="paths (2ⁿ)")
axes.semilogy([n for n, _, _ in counts], [s for _, _, s in counts], "s-", label="backward steps (3n)")
axes.set_xlabel("rungs n")
axes.set_ylabel("count (log scale)")
axes.set_title("Paths grow exponentially, backward's work linearly")
axes.legend()
figure.tight_layout()
figure.savefig(OUT / "paths_vs_steps.png")
show(OUT / "paths_vs_steps.png")

# %% [markdown]
# ## Timing: the path sum against `backward()`
#
# Here is the chain rule as lesson 1 states it, computed literally: walk every path, multiply
# the local derivatives along it, add the products. On the ladder each rung's two local
# derivatives are $\cos h_k$ (the sine's) and $-\sin h_k$ (the cosine's), and a path picks one
# of them per rung.


# %%
def rung_values(x_value, rungs):
    """h_0 ... h_{n-1}: the inputs of the rungs, from a plain forward pass."""
    values = [x_value]
    for _ in range(rungs - 1):
        values.append(math.sin(values[-1]) + math.cos(values[-1]))
    return values


def path_sum(x_value, rungs):
    """dh_n/dx as the sum over all 2ⁿ paths (a recursive walk that never reuses anything)."""
    h = rung_values(x_value, rungs)

    def from_rung(k):  # the sum over the paths from rung k down to x, times nothing above
        if k < 0:
            return 1.0
        return math.cos(h[k]) * from_rung(k - 1) + -math.sin(h[k]) * from_rung(k - 1)

    return from_rung(rungs - 1)


def by_backward(x_value, rungs):
    leaf = Tensor(x_value, dtype=np.float64, requires_grad=True)
    ladder(leaf, rungs).backward()
    return leaf.grad.item()


def seconds(function, *arguments):
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


print(f"{'rungs n':>8} {'path sum':>12} {'backward()':>12}")
timings = []
for rungs in (4, 8, 12, 16, 18):
    assert math.isclose(path_sum(0.3, rungs), by_backward(0.3, rungs), rel_tol=1e-9)
    timings.append((rungs, seconds(path_sum, 0.3, rungs), seconds(by_backward, 0.3, rungs)))
    print(f"{rungs:>8} {timings[-1][1] * 1e3:9.2f} ms {timings[-1][2] * 1e3:9.2f} ms")

# %% [markdown]
# Each two more rungs make the path sum about four times slower; `backward()` barely moves.
# At 40 rungs the path sum would have $2^{40} \approx 10^{12}$ paths: hours. `backward()`
# takes a fraction of a millisecond more.
#
# ## Why they agree: reuse
#
# Look at `from_rung` again: it calls `from_rung(k - 1)` **twice**, once per local derivative,
# and each of those calls twice again. But both calls compute the same number! Factor it out:
#
# $$\frac{\partial h_n}{\partial h_k}\Big|_{\text{all paths}} = \Big(\cos h_k + (-\sin h_k)\Big)\cdot
#   \frac{\partial h_k}{\partial x}\Big|_{\text{all paths}}.$$
#
# The sum over the $2^n$ paths **factorises**: at each node, add the local derivatives of its
# uses first, then multiply by what comes next. That is the distributive law,
# $ab + ac = a(b + c)$, applied at every node.
#
# Backpropagation does exactly this, from the output down. It keeps one number per node,
# $\partial L/\partial h$ (the sum over all paths from $L$ to that node), computes it **once**,
# when every use of the node has sent its share, and reuses it for everything below. In
# the language of algorithms: the path sum is a recursion with overlapping subproblems, and
# reverse accumulation is its **dynamic programme**, with a table of one gradient per node
# filled in reverse topological order. Here it is by hand, for the ladder:


# %%
def reverse_accumulation(x_value, rungs):
    """dh_n/dx with one number per node, filled from the top: gradient[k] = ∂h_n/∂h_k."""
    h = rung_values(x_value, rungs)
    gradient = {rungs: 1.0}  # ∂h_n/∂h_n = 1
    for k in reversed(range(rungs)):  # each node once, after every use of it is done
        via_sin = gradient[k + 1] * math.cos(h[k])  # what the sine sends back to h_k
        via_cos = gradient[k + 1] * -math.sin(h[k])  # what the cosine sends back to h_k
        gradient[k] = via_sin + via_cos  # the two shares add up: the += of backward()
    return gradient[0]


for rungs in (4, 18, 40):
    assert math.isclose(reverse_accumulation(0.3, rungs), by_backward(0.3, rungs), rel_tol=1e-9)
print("reverse accumulation == backward() for 4, 18 and 40 rungs")
print(f"40 rungs: {seconds(reverse_accumulation, 0.3, 40) * 1e6:.0f} µs for 2⁴⁰ ≈ {2**40:.1e} paths")

# %% [markdown]
# Two things make it work, and both are in every engine:
#
# - **The order.** A node's gradient is final only when *all* its uses have sent their
#   share: that is why `backward()` walks a topological order, reversed.
# - **The `+=`.** The shares of a node's uses add up. Replace `+` by `=` above and the
#   gradient keeps only the last share: one path family instead of all.

# %% [markdown]
# ## Exercises
#
# 1. **Three uses per rung.** Change the rung to $h_{k+1} = \sin h_k + \cos h_k + h_k^2$
#    (written `h.sin() + h.cos() + h * h`). Before you run anything: how many paths from
#    $h_n$ to $x$ (careful: `h * h` is one op with two inputs), and how many backward steps?
#    Check both with `tg.explain` and `tg.backward_steps` for $n = 1 \dots 6$.
# 2. **The `=` mistake.** Copy `reverse_accumulation` and replace `via_sin + via_cos` by
#    `via_cos` alone (the `=` mistake: the last share overwrites the first). Which paths does
#    it still count? Show that its result equals the path sum over the cosine-only path.
# 3. **Memoise the path sum.** Give `from_rung` a memo (a dictionary from `k` to its result)
#    so that each `from_rung(k)` is computed once. How many calls does it make for $n$ rungs,
#    with and without the memo? Show that the memoised sum is `reverse_accumulation` read
#    backwards.

# %% [markdown] tags=["solution"]
# ## Solutions

# %% [markdown] tags=["solution"]
# ### Solution 1: three uses per rung
#
# <details><summary>Hint</summary>
#
# `h * h` is one multiplication whose two inputs are both $h_k$: each input slot is a path of
# its own (lesson 1, exercise 2). So each rung offers 1 (sine) + 1 (cosine) + 2 (the square)
# ways back.
# </details>
#
# Four ways back per rung: $4^n$ paths. Ops per rung: sin, cos, +, ·, +: five, so $5n$ steps.


# %% tags=["solution"] jupyter={"source_hidden": true}
def ladder3(x, rungs):
    h = x
    for _ in range(rungs):
        h = h.sin() + h.cos() + h * h
    return h


for rungs in range(1, 7):
    leaf = Tensor(0.3, dtype=np.float64, requires_grad=True)
    top = ladder3(leaf, rungs)
    paths = tg.explain(top, leaf, max_paths=1, show=False).total_paths
    steps = len(list(tg.backward_steps(top)))
    print(f"n = {rungs}: {paths:>5} paths, {steps:>2} backward steps")
    assert paths == 4**rungs and steps == 5 * rungs

# %% [markdown] tags=["solution"]
# ### Solution 2: the `=` mistake
#
# With only the last share kept, every rung passes back its cosine's derivative alone, so of
# the $2^n$ paths only one survives: the one through every cosine, $\prod_k (-\sin h_k)$.


# %% tags=["solution"] jupyter={"source_hidden": true}
def overwriting(x_value, rungs):
    h = rung_values(x_value, rungs)
    gradient = 1.0
    for k in reversed(range(rungs)):
        gradient = gradient * -math.sin(h[k])  # '=' keeps the cosine's share, drops the sine's
    return gradient


cosine_only_path = math.prod(-math.sin(value) for value in rung_values(0.3, 6))
print(
    f"with '=': {overwriting(0.3, 6):.6f}   cosine-only path: {cosine_only_path:.6f}   "
    f"right answer: {by_backward(0.3, 6):.6f}"
)
assert math.isclose(overwriting(0.3, 6), cosine_only_path)
assert not math.isclose(overwriting(0.3, 6), by_backward(0.3, 6))

# %% [markdown] tags=["solution"]
# ### Solution 3: memoise the path sum
#
# Without the memo, `from_rung(k)` calls `from_rung(k − 1)` twice: $2 + 4 + \dots + 2^n =
# 2^{n+1} - 2$ calls below the top one. With it, each $k$ is computed once: $n$ calls below.
# And `memo[k]` is the sum over the paths from rung $k$ *down to x*, that is
# $\partial h_{k+1}/\partial x$, the forward-mode tangent (lesson 9); its mirror image, the sum
# from the output *down to* $h_k$, is `reverse_accumulation`'s `gradient[k]`. Both are the same
# factorisation of the path sum; for one output and many inputs, reverse is the one that pays.


# %% tags=["solution"] jupyter={"source_hidden": true}
def path_sum_counted(x_value, rungs, memoise):
    h = rung_values(x_value, rungs)
    memo, calls = {}, [0]

    def from_rung(k):
        calls[0] += 1
        if k < 0:
            return 1.0
        if memoise and k in memo:
            return memo[k]
        below = from_rung(k - 1) if memoise else None
        first = below if memoise else from_rung(k - 1)
        second = below if memoise else from_rung(k - 1)
        memo[k] = math.cos(h[k]) * first + -math.sin(h[k]) * second
        return memo[k]

    return from_rung(rungs - 1), calls[0]


for rungs in (4, 10, 16):
    plain, plain_calls = path_sum_counted(0.3, rungs, memoise=False)
    memoised, memo_calls = path_sum_counted(0.3, rungs, memoise=True)
    print(f"n = {rungs:2}: {plain_calls:>7,} calls without the memo, {memo_calls:>3} with it")
    assert math.isclose(plain, memoised) and math.isclose(memoised, reverse_accumulation(0.3, rungs))
    assert plain_calls == 2 ** (rungs + 1) - 1 and memo_calls == rungs + 1
