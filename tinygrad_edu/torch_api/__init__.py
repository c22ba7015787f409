"""PyTorch's spelling of the surface: aliases and in-place methods, factories (tg.zeros ...), the
tg.* functions of tensors, dtypes, devices and the random generator."""
