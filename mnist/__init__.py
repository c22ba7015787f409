"""The MNIST demonstration, on tinygrad_edu's public API.

    python -m mnist.train                    # the MLP to about 98.5% test accuracy
    python -m mnist.evaluate CHECKPOINT      # accuracy, confusion matrix, the worst mistakes
    python -m mnist.experiments lr           # comparisons: lr, activation, arch, loss, optimizer

data.py reads the IDX files (shipped in mnist/data/), model.py builds the MLP from its
description, splits.py turns the files into a run's inputs, training.py trains (the epoch loop,
metrics, curves), train.py / evaluate.py / experiments.py are the command lines.
"""
