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

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from mnist import data
from mnist.evaluate import evaluate_logits, format_report
from tinygrad_edu import Tensor, nn, optim
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
# The model is a list of layers: 784 pixels in, 128 hidden ReLU neurons, 10 scores out. The
# training loop is the one you know from lessons 2 and 3, written out in full: shuffle, and for
# every batch of 128 images compute the loss, let `backward()` fill every parameter's `.grad`,
# and let the optimizer step downhill. The pixels are standardised first (mean 0, spread 1:
# inputs of that size keep the first layer's outputs, and so its gradients, of a sensible
# size; lesson 12 says why). We train on the first 8,000 images for 2 epochs and
# measure the test accuracy after each (the full default run, `python -m mnist.train`, runs the
# same loop on all 60,000 images and reaches about 98%).

# %%
x_train, y_train = data.to_float(images[:8000]), labels[:8000].astype(np.int64)
mean, std = float(x_train.mean()), float(x_train.std())  # the training images' statistics...
data.standardize(x_train, mean, std)  # ...shift and scale every split: pixels of mean 0, spread 1
test_images, test_labels = data.load("test")
x_test, y_test = data.standardize(data.to_float(test_images), mean, std), test_labels.astype(np.int64)


def predict(model, x):
    """The logits for every row of x, without recording a graph."""
    with tg.no_grad():
        return model(Tensor(x)).data


def train(x, y, hidden=128, epochs=2, batch_size=128, lr=0.1, seed=0):
    """A 784-hidden-10 ReLU network trained with SGD + momentum; (model, history of each epoch)."""
    generator = np.random.default_rng(seed)  # all randomness (weights, shuffling) from one generator
    model = nn.Sequential(
        nn.Linear(784, hidden, generator=generator), nn.ReLU(), nn.Linear(hidden, 10, generator=generator)
    )
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = []
    for epoch in range(1, epochs + 1):
        order = generator.permutation(len(x))  # a new order every epoch
        losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(Tensor(x[batch])), y[batch])  # forward
            optimizer.zero_grad()  # forget the last step's gradients
            loss.backward()  # ∂loss/∂parameter for every parameter
            optimizer.step()  # parameter -= lr · (momentum-smoothed) gradient
            losses.append(loss.item())
        test_accuracy = float(np.mean(predict(model, x_test).argmax(axis=1) == y_test))
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "test_accuracy": test_accuracy})
        print(f"epoch {epoch}: train loss {np.mean(losses):.4f}, test accuracy {100 * test_accuracy:.2f}%")
    return model, history


model, history = train(x_train, y_train)
print(model)
show(plot_training_curves(history, OUT / "curves.png", title="784-128-10 on 8,000 images"))

# %% [markdown]
# ## Evaluate: accuracy per digit and the confusion matrix

# %%
logits = predict(model, x_test)
evaluation = evaluate_logits(logits, y_test)
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
        x_test[wrong],
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
first_layer = model[0]
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
print("\n".join(result.stdout.splitlines()[-8:]))  # the last lines, whole
result = subprocess.run(
    [sys.executable, "-m", "mnist.evaluate", str(run_dir / "checkpoint.npz")],
    capture_output=True,
    text=True,
    timeout=120,
)
print("\n".join(result.stdout.splitlines()[:16]))  # the report's first lines, whole
print(sorted(path.name for path in run_dir.iterdir()))

# %% [markdown]
# ## Exercises
#
# 1. Train on all 60,000 images for one epoch. How much does the accuracy gain?
# 2. Which digit is hardest? Is it the same with a bigger hidden layer?
# 3. Look at the confusion matrix: which pair of digits is confused most, in both directions?
# 4. **One step by hand.** For the trained model, take the first 32 training images and
#    compute, with NumPy only (no `backward()`), the gradient of the mean cross-entropy with
#    respect to the last layer's bias and weight. You need: $\partial \ell/\partial z = (p - \text{onehot})/N$
#    (lesson 3, exercise 4) and, for $z = h W^\top + b$, $\partial \ell/\partial b = \sum_n \partial \ell/\partial z_n$
#    and $\partial \ell/\partial W = (\partial \ell/\partial z)^\top h$ (lesson 8). Compare with what
#    `backward()` leaves in `.grad`.

# %% [markdown] tags=["solution"]
# ## Solutions
#
# Try each exercise first. In the notebook each solution is folded away: click the three dots
# (or the bar left of the cell) to open it. As a script, the solutions run here, at the end.
# They share one helper: train a model like the lesson's and evaluate it on the test set.


# %% tags=["solution"] jupyter={"source_hidden": true}
def train_and_evaluate(x, y, **settings):
    """Train like the lesson with these settings changed (quietly); the test-set Evaluation."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # no per-epoch lines
        trained, _ = train(x, y, **settings)
    return evaluate_logits(predict(trained, x_test), y_test)


# %% [markdown] tags=["solution"]
# ### Solution 1: all 60,000 training images
#
# <details><summary>Hint</summary>
#
# `train(data.standardize(data.to_float(images), mean, std), labels.astype(np.int64), epochs=1)`
# trains on every image. One epoch
# of 60,000 images is already almost four times the steps of the lesson's two epochs of 8,000.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
full = train_and_evaluate(data.standardize(data.to_float(images), mean, std), labels.astype(np.int64), epochs=1)
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
wider = train_and_evaluate(x_train, y_train, hidden=256)
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

# %% [markdown] tags=["solution"]
# ### Solution 4: one step by hand
#
# The last layer is `model[2]`: $z = h W^\top + b$ with $h$ the hidden layer's output (after
# the ReLU), $W$ of shape (10, 128). Each bias $b_k$ is added to $z_{nk}$ for every image $n$,
# so its gradient is the column sum; $W_{kj}$ multiplies $h_{nj}$ into $z_{nk}$, so
# $\partial \ell/\partial W_{kj} = \sum_n \partial \ell/\partial z_{nk}\, h_{nj}$.

# %% tags=["solution"] jupyter={"source_hidden": true}
x32, y32 = x_train[:32], y_train[:32]
hidden32 = np.maximum(x32 @ model[0].weight.data.T + model[0].bias.data, 0)  # the hidden layer, by hand
z32 = hidden32 @ model[2].weight.data.T + model[2].bias.data
p32 = np.exp(z32 - z32.max(axis=1, keepdims=True))
p32 /= p32.sum(axis=1, keepdims=True)
dz = (p32 - np.eye(10)[y32]) / len(y32)
by_hand_bias, by_hand_weight = dz.sum(axis=0), dz.T @ hidden32
model.zero_grad()
F.cross_entropy(model(Tensor(x32)), y32).backward()
print("bias gradient, by hand:", by_hand_bias.round(4))
print("bias gradient, engine: ", model[2].bias.grad.data.round(4))
assert np.allclose(by_hand_bias, model[2].bias.grad.data, atol=1e-6)
assert np.allclose(by_hand_weight, model[2].weight.grad.data, atol=1e-6)
