"""torch.optim: SGD, momentum, Adam, RMSprop and Adagrad fitting the same small regression."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(1)
inputs = torch.from_numpy(rng.normal(size=(32, 3)).astype(np.float32))
true_weights = torch.tensor([[2.0], [-1.0], [0.5]])
targets = inputs @ true_weights + 0.3
start = rng.normal(size=(1, 3)).astype(np.float32)


def make_model():
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(start))
        model.bias.fill_(0.0)
    return model


def train(make_optimizer, steps=25):
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return loss.item(), model


recipes = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.1),
    "SGD momentum": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=0.1, weight_decay=0.01),
    "RMSprop": lambda params: torch.optim.RMSprop(params, lr=0.01),
    "RMSprop centered": lambda params: torch.optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda params: torch.optim.Adagrad(params, lr=0.5),
    "Adagrad decayed": lambda params: torch.optim.Adagrad(params, lr=0.5, lr_decay=0.01, weight_decay=0.001),
}
for name, make_optimizer in recipes.items():
    loss, model = train(make_optimizer)
    print(f"{name:18s} loss {loss:.5f}  weight {[round(w, 4) for w in model.weight.flatten().tolist()]}")

# A learning-rate schedule changes the optimizer's lr between epochs
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
for epoch in range(6):
    optimizer.zero_grad()
    nn.functional.mse_loss(model(inputs), targets).backward()
    optimizer.step()
    scheduler.step()
    print("epoch", epoch, "lr", round(optimizer.param_groups[0]["lr"], 6))

# The optimizer's state, e.g. to resume training
optimizer = torch.optim.RMSprop(make_model().parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.MSELoss()
print("state keys before a step:", len(optimizer.state_dict()["state"]))
model = make_model()
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
loss_fn(model(inputs), targets).backward()
optimizer.step()
state = optimizer.state_dict()
print("Adagrad state:", sorted(state["state"][0].keys()), "lr", state["param_groups"][0]["lr"])

# zero_grad(set_to_none=False) leaves zeros instead of None
optimizer.zero_grad(set_to_none=False)
print("grads after zero_grad(set_to_none=False):", [p.grad.abs().sum().item() for p in model.parameters()])
optimizer.zero_grad()
print("grads after zero_grad():", [p.grad for p in model.parameters()])
