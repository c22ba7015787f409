"""nn.Module: a model as a class, its parameters and state dict, a loss, and a few SGD steps."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(0)  # data and starting weights from NumPy: the same in every framework


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(4 * 4, 8),
            nn.ReLU(),
            nn.Dropout(p=0.0),
            nn.Linear(8, 8),
            nn.Tanh(),
            nn.Linear(8, 3),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
print(model)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(param.shape)).astype(np.float32)))

print("parameters:", [(name, tuple(param.shape)) for name, param in model.named_parameters()])
print("count:", sum(p.numel() for p in model.parameters()))
print("state dict keys:", list(model.state_dict().keys()))
print("children:", [type(child).__name__ for child in model.linear_relu_stack])

images = torch.from_numpy(rng.normal(size=(6, 1, 4, 4)).astype(np.float32))
labels = torch.tensor([0, 1, 2, 0, 1, 2])
logits = model(images)
probabilities = nn.Softmax(dim=1)(logits)
print("logits shape:", tuple(logits.shape))
print("probabilities of example 0:", [round(p, 5) for p in probabilities[0].tolist()])
print("predicted classes:", probabilities.argmax(1).tolist())

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
for step in range(5):
    pred = model(images)
    loss = loss_fn(pred, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.5f}")

model.eval()
with torch.no_grad():
    logits = model(images)
    print("accuracy:", (logits.argmax(dim=1) == labels).float().mean().item())
    print("functional loss:", round(F.cross_entropy(logits, labels).item(), 5))
    print("nll of log_softmax:", round(F.nll_loss(F.log_softmax(logits, dim=1), labels).item(), 5))

# Save and load the weights into a fresh model
fresh = NeuralNetwork()
fresh.load_state_dict(model.state_dict())
print("same after loading:", torch.allclose(fresh(images), model(images)))
