"""Batch normalization: train() normalizes with the batch, eval() with the running statistics."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(3)
batch = torch.from_numpy((rng.normal(size=(8, 3)) * [1.0, 5.0, 0.1] + [0.0, 10.0, -2.0]).astype(np.float32))

bn = nn.BatchNorm1d(3)
print("parameters:", [name for name, _ in bn.named_parameters()])
print("state dict:", list(bn.state_dict().keys()))

out = bn(batch)
print("output mean per feature:", [round(v, 4) for v in out.mean(dim=0).tolist()])
print("output std per feature:", [round(v, 4) for v in out.std(dim=0, unbiased=False).tolist()])
print("running mean:", [round(v, 5) for v in bn.running_mean.tolist()])
print("running var:", [round(v, 5) for v in bn.running_var.tolist()])
print("batches tracked:", bn.num_batches_tracked.item())

for _ in range(20):
    bn(batch)
print("running mean after 21 batches:", [round(v, 4) for v in bn.running_mean.tolist()])

bn.eval()
one = bn(batch[:1])  # one example is fine in eval mode
print("eval output for one example:", [round(v, 4) for v in one[0].tolist()])
print("eval keeps the statistics:", bn.num_batches_tracked.item())

# BatchNorm2d normalizes each channel of an image batch
images = torch.from_numpy(rng.normal(2.0, 3.0, size=(4, 2, 5, 5)).astype(np.float32))
bn2 = nn.BatchNorm2d(2, momentum=0.5, affine=False)
normalized = bn2(images)
print("per-channel mean:", [round(v, 4) for v in normalized.mean(dim=(0, 2, 3)).tolist()])
print("BatchNorm2d running var:", [round(v, 4) for v in bn2.running_var.tolist()])

# In a model: BatchNorm after Linear, trained for a few steps. The Linear layer needs no bias:
# BatchNorm subtracts the mean, so a bias there would get a zero gradient (only rounding noise).
model = nn.Sequential(nn.Linear(3, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(param.shape)).astype(np.float32)))
targets = batch.sum(dim=1, keepdim=True)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for _ in range(10):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(batch), targets)
    loss.backward()
    optimizer.step()
print(f"loss after training: {loss.item():.4f}")
model.eval()
with torch.no_grad():
    print(f"loss in eval mode: {nn.functional.mse_loss(model(batch), targets).item():.4f}")
print("model state dict:", list(model.state_dict().keys()))
print("gradient of the BatchNorm weight:", [round(g, 4) for g in model[1].weight.grad.tolist()])
