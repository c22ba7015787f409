"""Autograd: requires_grad, backward(), .grad, accumulation, no_grad, detach, a tiny fit by hand."""

import torch

# y = x² + 3x at x = 2: dy/dx = 2x + 3 = 7
x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 3 * x
y.backward()
print("y:", y.item(), "dy/dx:", x.grad.item())

# Gradients of a vector function, reduced to a scalar first
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)
inputs = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
z = inputs @ w + b
loss = torch.sigmoid(z).mean()
loss.backward()
print("loss:", loss.item())
print("dloss/dw:", w.grad.tolist(), "dloss/db:", b.grad.item())
print("z requires grad:", z.requires_grad, "w is leaf:", w.is_leaf, "z is leaf:", z.is_leaf)

# Gradients add up across backward() calls until they are zeroed
x = torch.tensor([1.0, 2.0], requires_grad=True)
for _ in range(3):
    (x * x).sum().backward()
print("accumulated:", x.grad.tolist())
x.grad.zero_()
print("after zero_:", x.grad.tolist())

# A gradient that is not all ones: backward(gradient=...)
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
y.backward(torch.tensor([0.1, 1.0, 0.0001]))
print("vector-Jacobian product:", x.grad.tolist())

# No graph is recorded under no_grad, and detach() cuts a tensor off the graph
with torch.no_grad():
    frozen = x * 2
print("under no_grad:", frozen.requires_grad, "detached:", (x * 2).detach().requires_grad)

# torch.autograd.grad returns gradients instead of storing them
x = torch.tensor(3.0, requires_grad=True)
(first,) = torch.autograd.grad(x**3, x, create_graph=True)
(second,) = torch.autograd.grad(first, x)
print("d/dx x³ at 3:", first.item(), "second derivative:", second.item())

# Fitting y = 2x − 1 by gradient descent, by hand
xs = torch.linspace(-1, 1, 20)
ys = 2 * xs - 1
slope = torch.zeros(1, requires_grad=True)
intercept = torch.zeros(1, requires_grad=True)
learning_rate = 0.5
for step in range(30):
    prediction = slope * xs + intercept
    loss = ((prediction - ys) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        slope -= learning_rate * slope.grad
        intercept -= learning_rate * intercept.grad
        slope.grad.zero_()
        intercept.grad.zero_()
    if step % 10 == 9:
        print(f"step {step + 1}: loss {loss.item():.6f}")
print(f"slope {slope.item():.4f}, intercept {intercept.item():.4f}")
