"""An MNIST MLP written the way a PyTorch user writes one, with tinygrad_edu's names.

    python examples/pytorch_style_mlp.py                 # 2 epochs, about 97% test accuracy
    python examples/pytorch_style_mlp.py --epochs 1 --limit 2000

Put ``torch`` where it says ``tg`` and it is a PyTorch script (the data come from the
project's ``mnist.data`` instead of torchvision, put in a ``TensorDataset``). Every name below
means what it means in PyTorch: ``x.view(x.size(0), -1)``, ``output.argmax(dim=1, keepdim=True)``,
``nn.CrossEntropyLoss()``, ``nn.ModuleList``, ``model.apply(init_weights)``, ``tg.manual_seed``,
``tg.cuda.is_available()``, ``.to(device)``, ``.item()``,
``DataLoader(dataset, batch_size=64, shuffle=True)``.
"""

import argparse

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from mnist import data
from tinygrad_edu import nn, optim
from tinygrad_edu.utils.data import DataLoader, TensorDataset


class MLP(nn.Module):
    def __init__(self, sizes=(784, 256, 128, 10), dropout=0.1):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = x.view(x.size(0), -1)  # (N, 28, 28) -> (N, 784)
        for layer in self.layers[:-1]:
            x = self.dropout(F.relu(layer(x)))
        return self.layers[-1](x)  # logits


def init_weights(module):
    if isinstance(module, nn.Linear):
        nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
        nn.init.zeros_(module.bias)


def dataset(images, labels):
    """(image, label) pairs as torchvision's MNIST gives them: float32 in [0, 1] and int64."""
    return TensorDataset(tg.tensor(images).float() / 255, tg.tensor(labels).long())


def train(model, device, batches, optimizer, criterion, epoch):
    model.train()
    for batch_index, (images, target) in enumerate(batches):
        images, target = images.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        if batch_index % 100 == 0:
            print(f"epoch {epoch} batch {batch_index:4d}  loss {loss.item():.4f}")


@tg.no_grad()
def test(model, device, batches):
    model.eval()
    test_loss, correct, count = 0.0, 0, 0
    for images, target in batches:
        images, target = images.to(device), target.to(device)
        output = model(images)
        test_loss += F.cross_entropy(output, target, reduction="sum").item()
        prediction = output.argmax(dim=1, keepdim=True)
        correct += (prediction == target.view_as(prediction)).sum().item()
        count += target.size(0)
    print(f"test: average loss {test_loss / count:.4f}, accuracy {correct}/{count} ({100.0 * correct / count:.1f}%)")
    return correct / count


def main(argv=None):
    parser = argparse.ArgumentParser(description="An MNIST MLP written as a PyTorch script.")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=None, help="train and test on the first N images only")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    train_images, train_labels = data.load("train")
    test_images, test_labels = data.load("test")
    if args.limit is not None:
        train_images, train_labels = train_images[: args.limit], train_labels[: args.limit]
        test_images, test_labels = test_images[: args.limit], test_labels[: args.limit]

    model = MLP().to(device)
    model.apply(init_weights)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    accuracy = 0.0
    train_loader = DataLoader(dataset(train_images, train_labels), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(dataset(test_images, test_labels), batch_size=1000)
    for epoch in range(1, args.epochs + 1):
        train(model, device, train_loader, optimizer, criterion, epoch)
        accuracy = test(model, device, test_loader)
    return accuracy


if __name__ == "__main__":
    main()
