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
# # Lesson 7: experiments, one change at a time
#
# Four controlled experiments on MNIST, each changing one thing and keeping the rest fixed
# (784-128-10, ReLU, cross-entropy, seed 0). To run in class they use a small subset (2,000
# images, 2 epochs); the full versions are `python -m mnist.experiments lr|activation|arch|loss`.
# Before each one, ask the class to predict the outcome.

# %%
import sys
import tempfile
from pathlib import Path

import viz
from mnist.config import make_config
from mnist.experiments import BASE, EXPERIMENTS, markdown_table, plot_results
from mnist.train import RunError, TrainingRun, load_data

EPOCHS = 2
IMAGES = 2000  # training images, and as many test images

OUT = Path(tempfile.mkdtemp(prefix="lesson7-"))  # pictures go here, never into the repository
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
# An experiment is a list of runs: the shared settings (`BASE`), the experiment's own base,
# and the one setting that changes. Each run trains a fresh model from the same seed.

# %%
train_images, train_labels, test_images, test_labels = load_data(None)
subset = (train_images[:IMAGES], train_labels[:IMAGES], test_images[:IMAGES], test_labels[:IMAGES])
print("shared settings:", BASE)


def experiment(name):
    chosen = EXPERIMENTS[name]
    print(chosen.question)
    results = []
    for label, settings in chosen.runs:
        config = make_config(BASE, chosen.base, settings, {"epochs": EPOCHS})
        run = TrainingRun(config, subset)
        diverged = None
        try:
            run.run(None, show_progress=False, log=lambda line: None)
        except RunError as error:  # the loss became NaN or infinite
            diverged = str(error)
        final = run.history[-1] if run.history else {}
        results.append(
            {
                "label": label,
                "history": run.history,
                "diverged": diverged,
                "train_loss": final.get("train_loss"),
                "train_accuracy": final.get("train_accuracy"),
                "test_accuracy": final.get("test_accuracy"),
                "train_seconds": run.train_seconds,
            }
        )
    print(markdown_table(results))
    path = OUT / f"{name}.png"
    if plot_results(results, chosen.question, path) is None:
        show(path)
    return results


# %% [markdown]
# ## 1. Learning rate (plain SGD)
#
# Too small: it barely moves. Too large: it overshoots and may diverge.

# %%
lr_results = experiment("lr")

# %% [markdown]
# ## 2. Activation: sigmoid, tanh or ReLU
#
# Sigmoid saturates (remember lesson 1's tiny gradient through a flat tanh), so with plain SGD
# it learns slowest.

# %%
activation_results = experiment("activation")

# %% [markdown]
# ## 3. Architecture: depth and width
#
# `784-10` is softmax regression (no hidden layer). `784-10-10` squeezes everything through
# 10 neurons.

# %%
arch_results = experiment("arch")

# %% [markdown]
# ## 4. Mean squared error or cross-entropy
#
# MSE on softmax outputs has a gradient that vanishes when the network is confidently wrong;
# cross-entropy's gradient, $p - \text{onehot}$, does not.

# %%
loss_results = experiment("loss")

# %% [markdown]
# ## Exercises
#
# 1. Re-run with `IMAGES = 10000` and `EPOCHS = 5`. Do the rankings change?
# 2. Change the seed (`EXPERIMENTS['lr'].base['seed'] = 1`): how much of each difference is noise?
# 3. Design your own experiment: batch size 16 vs 128 vs "full".
