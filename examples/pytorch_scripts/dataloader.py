"""Datasets and DataLoader: TensorDataset, a Dataset of your own, batches, shuffling, random_split,
and the training loop every tutorial writes."""

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split

rng = np.random.default_rng(2)
features = torch.from_numpy(rng.normal(size=(50, 4)).astype(np.float32))
labels = (features[:, 0] + features[:, 1] > 0).long()  # two classes

dataset = TensorDataset(features, labels)
print("examples:", len(dataset))
x0, y0 = dataset[0]
print("first example:", [round(v, 4) for v in x0.tolist()], y0.item())

loader = DataLoader(dataset, batch_size=16)
print("batches:", len(loader), [tuple(xb.shape) for xb, yb in loader])
print("without the short batch:", len(DataLoader(dataset, batch_size=16, drop_last=True)))

# Shuffling changes the order at every pass, never the examples themselves
torch.manual_seed(0)
shuffled = DataLoader(dataset, batch_size=16, shuffle=True)
for epoch in range(2):
    seen = torch.cat([yb for _, yb in shuffled])
    print("epoch", epoch, "examples seen:", len(seen), "class-1 count:", seen.sum().item())


class Squares(Dataset):
    """A Dataset of your own: define __len__ and __getitem__."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        x = torch.tensor([float(index)])
        return x, x**2


squares = DataLoader(Squares(7), batch_size=3)
for xb, yb in squares:
    print("squares batch:", xb.flatten().tolist(), yb.flatten().tolist())

train_set, test_set = random_split(dataset, [40, 10])
print("split sizes:", len(train_set), len(test_set))

# The training loop: epochs of batches (not shuffled here, so every framework sees the same order)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(param.shape)).astype(np.float32)))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
train_loader = DataLoader(dataset, batch_size=10)


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    total = 0.0
    for X, y in dataloader:
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(X)
    return total / len(dataloader.dataset)


def test_loop(dataloader, model, loss_fn):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    return test_loss / len(dataloader), correct / len(dataloader.dataset)


for epoch in range(4):
    train_loss = train_loop(train_loader, model, loss_fn, optimizer)
    test_loss, accuracy = test_loop(train_loader, model, loss_fn)
    print(f"epoch {epoch}: train loss {train_loss:.5f}, loss {test_loss:.5f}, accuracy {100 * accuracy:.1f}%")
