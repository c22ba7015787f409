"""The engine: Tensor, Function and Context (tensor.py), the backward walk (autograd.py), grad mode,
forward mode and unbroadcast. READING.md follows it from ``a * b`` to ``a.grad``."""
