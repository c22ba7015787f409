"""PyTorch's tensor and autograd tutorials and d2l's autograd section, printing lists and numbers.

The tutorials' torch.rand/torch.randn values come from NumPy here (the same in every framework).
"""

import numpy as np
import torch

rng = np.random.default_rng(0)


def rand(*shape):
    return torch.from_numpy(rng.random(shape).astype(np.float32))


# ----- Tensors (tensorqs_tutorial)
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
print("Ones Tensor:", x_ones.tolist(), x_ones.dtype == torch.long)
x_rand = torch.rand_like(x_data, dtype=torch.float)
print("Random Tensor:", tuple(x_rand.shape), x_rand.dtype == torch.float)
shape = (2, 3,)
print("Zeros Tensor:", torch.zeros(shape).tolist(), torch.ones(shape).sum().item())
tensor = rand(3, 4)
print(f"Shape of tensor: {tuple(tensor.shape)}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0].tolist()}")
print(f"First column: {tensor[:, 0].tolist()}")
print(f"Last column: {tensor[..., -1].tolist()}")
tensor[:, 1] = 0
print(tensor.tolist())
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(tuple(t1.shape), t1[0].tolist())
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y3.tolist(), torch.equal(y1, y2), torch.equal(y1, y3))
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(torch.equal(z1, z2), torch.equal(z1, z3))
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
tensor.add_(5)
print(tensor.tolist())
t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"t: {t.tolist()}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t.tolist()}")
print(f"n: {n}")
x = torch.tensor([5.5, 3])
x = x.new_ones(5, 3, dtype=torch.double)
print(tuple(x.size()), x.dtype == torch.float64)
x = torch.randn_like(x, dtype=torch.float)
result = torch.empty(5, 3)
torch.add(x, x, out=result)
print(torch.allclose(result, 2 * x), tuple(x.view(-1, 5).size()))

# ----- A Gentle Introduction to torch.autograd
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print((9*a**2 == a.grad).tolist())
print((-2*b == b.grad).tolist())
x = rand(5, 5)
y = rand(5, 5)
z = rand(5, 5).requires_grad_()
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

# ----- Automatic Differentiation with torch.autograd (autogradqs_tutorial)
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.from_numpy(rng.normal(size=(5, 3)).astype(np.float32)).requires_grad_(True)
b = torch.from_numpy(rng.normal(size=3).astype(np.float32)).requires_grad_(True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print("grad_fn:", z.grad_fn is not None, loss.grad_fn is not None)
loss.backward()
print([round(v, 5) for v in w.grad[0].tolist()])
print([round(v, 5) for v in b.grad.tolist()])
z = torch.matmul(x, w)+b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)
z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad.tolist()}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad.tolist()}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad.tolist()}")

# ----- d2l: 2.5 Automatic Differentiation
x = torch.arange(4.0)
print(x.tolist())
x.requires_grad_(True)
print(x.grad)
y = 2 * torch.dot(x, x)
print(y.item())
y.backward()
print(x.grad.tolist())
print((x.grad == 4 * x).tolist())
x.grad.zero_()  # Reset the gradient
y = x.sum()
y.backward()
print(x.grad.tolist())
x.grad.zero_()
y = x * x
y.backward(gradient=torch.ones(len(y)))  # Faster: y.sum().backward()
print(x.grad.tolist())
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
print((x.grad == u).tolist())
x.grad.zero_()
y.sum().backward()
print((x.grad == 2 * x).tolist())


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.tensor(float(rng.standard_normal()), requires_grad=True)  # d2l: torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()
print((a.grad == d / a).item())
