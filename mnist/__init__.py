"""The MNIST demonstration: data, model, training and evaluation on tinygrad_edu.

Stub: the training command arrives with the MNIST issue.
"""
