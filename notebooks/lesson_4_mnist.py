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
# # Lesson 4: handwritten digits
#
# MNIST: 70,000 images of 28×28 pixels, each a digit 0–9. The data ships with this
# repository (`mnist/data/`), so everything runs offline. We train a small MLP on a subset
# (fast enough for class), evaluate it on the 10,000 test images, and look at what it gets
# wrong.

# %%
import subprocess
import sys

import numpy as np

from mnist import data
from mnist.config import make_config
from mnist.evaluate import evaluate_logits, format_report
from mnist.training import TrainingRun, predict
from viz.plots import plot_confusion_matrix, plot_digit_grid, plot_training_curves

try:  # Jupyter starts the kernel in notebooks/
    from lesson_tools import Pictures
except ModuleNotFoundError:  # python -m notebooks.lesson_4_mnist, from the repository
    from notebooks.lesson_tools import Pictures

pictures = Pictures("lesson4")  # a new temporary folder: pictures never go into the repository
OUT, show = pictures.folder, pictures.show


# %% [markdown]
# ## The data

# %%
images, labels = data.load("train")
print("train images:", images.shape, images.dtype, " labels:", labels[:16])
show(plot_digit_grid(images[:16], labels[:16], None, OUT / "first_digits.png", title="the first 16"))

# %% [markdown]
# ## Train
#
# The model is data: `arch=(784, 128, 10)` is 784 pixels in, 128 hidden ReLU neurons, 10 scores
# out. We train on the first 8,000 images for 2 epochs (the full default run,
# `python -m mnist.train`, reaches about 98% in under a minute).

# %%
config = make_config({"arch": (784, 128, 10), "epochs": 2, "limit": 8000, "dropout": 0.0, "seed": 0})
run = TrainingRun(config)
print(run.model)
run.run(None, show_progress=False)
show(plot_training_curves(run.history, OUT / "curves.png", title="784-128-10 on 8,000 images"))

# %% [markdown]
# ## Evaluate: accuracy per digit and the confusion matrix

# %%
logits = predict(run.model, run.splits.x_test)
evaluation = evaluate_logits(logits, run.splits.y_test)
print(format_report(evaluation))
show(plot_confusion_matrix(evaluation.confusion, OUT / "confusion.png"))

# %% [markdown]
# Row = true digit, column = prediction. The diagonal is right; the largest off-diagonal
# cells are the confusions (4 vs 9, 3 vs 5, 7 vs 2 are the classics).
#
# ## The most confident mistakes
#
# Which wrong answers did the model give with the highest probability? Some are sloppy
# digits a person would misread too; some are genuine model errors.

# %%
wrong = evaluation.most_confident_mistakes(16)
print("confidence:", evaluation.confidence[wrong].round(3))
show(
    plot_digit_grid(
        run.splits.x_test[wrong],
        evaluation.labels[wrong],
        evaluation.predictions[wrong],
        OUT / "most_wrong.png",
        title="most confident mistakes",
        confidences=evaluation.confidence[wrong],
    )
)

# %% [markdown]
# ## What did the first layer learn?
#
# Each hidden neuron has 784 weights, one per pixel: draw them as an image. Many look like
# blurry strokes or blobs: templates the neuron responds to.

# %%
first_layer = run.model[0]
print("weight shape (out, in):", first_layer.weight.shape)
templates = first_layer.weight.data[:16]
show(plot_digit_grid(templates, list(range(16)), None, OUT / "weights.png", title="first-layer weights"))

# %% [markdown]
# ## The same from the command line
#
# ```
# python -m mnist.train --arch 784-128-10 --epochs 3 --limit 10000 --out runs/quick
# python -m mnist.evaluate runs/quick/checkpoint.npz
# ```
#
# Here with a tiny run into the temporary folder:

# %%
run_dir = OUT / "cli-run"
command = [sys.executable, "-m", "mnist.train", "--arch", "784-32-10", "--epochs", "1", "--limit", "2000"]
result = subprocess.run([*command, "--out", str(run_dir)], capture_output=True, text=True, timeout=120)
print(result.stdout[-600:])
result = subprocess.run(
    [sys.executable, "-m", "mnist.evaluate", str(run_dir / "checkpoint.npz")],
    capture_output=True,
    text=True,
    timeout=120,
)
print(result.stdout[:200])
print(sorted(path.name for path in run_dir.iterdir()))

# %% [markdown]
# ## Exercises
#
# 1. Train on all 60,000 images (`limit=None`). How much does the accuracy gain?
# 2. Which digit is hardest? Is it the same with a bigger hidden layer?
# 3. Look at the confusion matrix: which pair of digits is confused most, in both directions?

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.
# They share one helper: train a model like the lesson's and evaluate it on the test set.


# %% tags=["solution"] jupyter={"source_hidden": true}
def train_and_evaluate(**settings):
    """Train like the lesson (2 epochs, seed 0) with these settings changed; the test-set Evaluation."""
    solution_run = TrainingRun(make_config({"arch": (784, 128, 10), "epochs": 2, "dropout": 0.0, "seed": 0}, settings))
    solution_run.run(None, show_progress=False, log=lambda line: None)
    return evaluate_logits(predict(solution_run.model, solution_run.splits.x_test), solution_run.splits.y_test)


# %% [markdown] tags=["solution"]
# ### Solution 1: all 60,000 training images
#
# <details><summary>Hint</summary>
#
# `make_config({..., "limit": None})` trains on every image. One epoch of 60,000 images is already
# almost four times the steps of the lesson's two epochs of 8,000.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
full = train_and_evaluate(limit=None, epochs=1)
print(f"8,000 images, 2 epochs: {100 * evaluation.accuracy:.2f}%   60,000 images, 1 epoch: {100 * full.accuracy:.2f}%")
# Several points more: more images mean more steps, and more kinds of handwriting seen, so the model
# generalises better. The mistakes left are the hard ones, so each further point costs more data, epochs
# or a better model (lesson 7).
assert full.accuracy > evaluation.accuracy

# %% [markdown] tags=["solution"]
# ### Solution 2: the hardest digit
#
# <details><summary>Hint</summary>
#
# `evaluation.per_class_accuracy` has one number per digit; `np.argmin` finds the lowest.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
wider = train_and_evaluate(limit=8000, arch=(784, 256, 10))
for label, result in (("784-128-10", evaluation), ("784-256-10", wider)):
    per_digit = result.per_class_accuracy
    hardest = int(np.argmin(per_digit))
    print(f"{label}: hardest digit {hardest} ({100 * per_digit[hardest]:.1f}%), accuracy {100 * result.accuracy:.2f}%")
# The hardest digits are the ones with many look-alikes (8, 5, 9, 2 usually); which one is last can change
# with the model, because the lowest few are close together, but the same few stay at the bottom.
assert min(evaluation.per_class_accuracy) < evaluation.accuracy < max(evaluation.per_class_accuracy)

# %% [markdown] tags=["solution"]
# ### Solution 3: the pair confused most, both directions
#
# <details><summary>Hint</summary>
#
# `confusion[i, j]` counts true `i` predicted as `j`. Add the matrix to its transpose to count
# both directions, and ignore the diagonal.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
both_directions = evaluation.confusion + evaluation.confusion.T
np.fill_diagonal(both_directions, 0)
first, second = np.unravel_index(np.argmax(both_directions), both_directions.shape)
print(
    f"{first} and {second} are confused {both_directions[first, second]} times: "
    f"{evaluation.confusion[first, second]} times {first} read as {second}, "
    f"{evaluation.confusion[second, first]} times {second} read as {first}"
)
assert both_directions[first, second] == both_directions.max() > 0
