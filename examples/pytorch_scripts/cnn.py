"""A small convolutional network: Conv2d, BatchNorm2d, MaxPool2d, AdaptiveAvgPool2d, trained with
a DataLoader to tell horizontal bars from vertical ones; then soft targets and label smoothing."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(4)


def bar_images(count):
    """8×8 images holding one bright bar: horizontal (class 0) or vertical (class 1), plus noise."""
    images = rng.normal(0.0, 0.3, size=(count, 1, 8, 8))
    labels = rng.integers(0, 2, size=count)
    positions = rng.integers(1, 7, size=count)
    for image, label, position in zip(images, labels, positions):
        if label == 0:
            image[0, position, :] += 2.0
        else:
            image[0, :, position] += 2.0
    return torch.from_numpy(images.astype(np.float32)), torch.from_numpy(labels)


class BarNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=False)  # BatchNorm follows: no bias needed
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3, padding=1)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.conv2(x))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


model = BarNet()
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, size=tuple(param.shape)).astype(np.float32)))
print(model)

train_images, train_labels = bar_images(48)
test_images, test_labels = bar_images(16)
train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=8)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
criterion = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    running_loss = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    model.eval()
    with torch.no_grad():
        _, predicted = torch.max(model(test_images), 1)
        correct = (predicted == test_labels).sum().item()
    print(f"epoch {epoch + 1}: loss {running_loss / len(train_loader):.4f}, test accuracy {correct}/{len(test_labels)}")

print(
    "feature map sizes:",
    tuple(model.conv1(test_images).shape),
    tuple(model.gap(model.conv2(model.pool(model.conv1(test_images)))).shape),
)
print("running mean of bn1:", [round(v, 3) for v in model.bn1.running_mean.tolist()])

# Soft targets: a probability per class instead of a class index (e.g. mixup), and label smoothing
with torch.no_grad():
    logits = model(test_images[:4])
    soft = F.one_hot(test_labels[:4], num_classes=2).float() * 0.8 + 0.1
    print(f"loss with class indices:      {F.cross_entropy(logits, test_labels[:4]).item():.5f}")
    print(f"loss with soft targets:       {F.cross_entropy(logits, soft).item():.5f}")
    print(
        f"loss with label smoothing:    {nn.CrossEntropyLoss(label_smoothing=0.2)(logits, test_labels[:4]).item():.5f}"
    )
    print(f"soft targets, summed:         {nn.CrossEntropyLoss(reduction='sum')(logits, soft).item():.5f}")
    print("probabilities:", [[round(p, 4) for p in row] for row in F.softmax(logits, dim=1).tolist()])
