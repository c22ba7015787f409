"""Tensors: making them, their shapes and dtypes, arithmetic, indexing, reshaping, reductions."""

import numpy as np
import torch

# From data, from NumPy, and from the factories
data = [[1.0, 2.0], [3.0, 4.0]]
x = torch.tensor(data)
print("x:", x.tolist(), tuple(x.shape), x.dtype == torch.float32)

array = np.array([[1, 2], [3, 4]])
from_array = torch.from_numpy(array)
print("from numpy:", from_array.tolist(), from_array.dtype == torch.int64)

ones = torch.ones(2, 3)
zeros = torch.zeros_like(x)
steps = torch.linspace(0, 1, steps=5)
counting = torch.arange(6).reshape(2, 3)
print("ones:", ones.sum().item(), "zeros:", zeros.sum().item())
print("linspace:", steps.tolist())
print("arange:", counting.tolist(), counting.dtype == torch.int64)

# Arithmetic is elementwise; @ is the matrix product
y = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
print("x + y:", (x + y).tolist())
print("x * y:", (x * y).tolist())
print("x @ y:", (x @ y).tolist())
print("matmul:", torch.matmul(x, y.T).tolist())
print("sin:", torch.sin(steps * 3.14159).tolist())
print("dot:", torch.dot(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0])).item())

# Integers with floats give float32, as the default dtype
half = counting / 2
print("counting / 2:", half.tolist(), half.dtype == torch.float32)
print("as float:", counting.float().mean().item(), counting.type(torch.float).dtype == torch.float32)

# Indexing and slicing as in NumPy
tensor = torch.ones(4, 4)
tensor[:, 1] = 0
print("first row:", tensor[0].tolist())
print("first column:", tensor[:, 0].tolist())
print("last column:", tensor[..., -1].tolist())
masked = torch.tensor([1.0, -2.0, 3.0, -4.0])
masked[masked < 0] = 0
print("clipped:", masked.tolist())

# Joining, reshaping, transposing
joined = torch.cat([x, y], dim=1)
print("cat:", tuple(joined.shape), joined.tolist())
print("stack:", tuple(torch.stack([x, y]).shape))
print("view:", x.view(4).tolist(), x.view(-1, 1).shape[0])
print("transpose:", x.transpose(0, 1).tolist(), x.t().tolist())
print("unsqueeze:", tuple(x.unsqueeze(0).shape), tuple(x.unsqueeze(-1).shape))

# Reductions, with dim= and keepdim=
values, indices = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]).max(dim=1)
print("max over dim 1:", values.tolist(), indices.tolist())
print("argmax:", torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]).argmax(dim=1).tolist())
print("sum(dim=0):", x.sum(dim=0).tolist(), "mean(keepdim):", x.mean(dim=1, keepdim=True).tolist())
print("std:", x.std().item(), "norm:", x.norm().item())
print("allclose:", torch.allclose(x, x + 1e-9), "equal:", torch.equal(x, y))

# In place operations end with _
x.add_(1)
print("after add_:", x.tolist())
x.mul_(2)
print("after mul_:", x.tolist())
