"""PyTorch's "What is torch.nn really?" on synthetic MNIST-shaped data, and "Build the Neural Network".

As the tutorials, with small synthetic data in place of the downloads; starting weights come from
NumPy (``from_numpy_weights``, the same in every framework), the training loaders do not shuffle
(shuffled orders differ between frameworks) and it prints numbers rather than tensors.
"""

import math

import numpy as np
import torch

rng = np.random.default_rng(0)


def from_numpy_weights(model):
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, size=tuple(param.shape)).astype(np.float32)))
    return model


# synthetic stand-in for the pickled MNIST: rows of 784 values in [0, 0.25), labels 0..9
x_train = rng.random((96, 784), dtype=np.float32) * 0.25  # MNIST is mostly black
y_train = rng.integers(0, 10, size=96)
x_valid = rng.random((64, 784), dtype=np.float32) * 0.25
y_valid = rng.integers(0, 10, size=64)

x_train, y_train, x_valid, y_valid = map(
    torch.tensor, (x_train, y_train, x_valid, y_valid)
)
n, c = x_train.shape
print(tuple(x_train.shape), y_train.dtype == torch.int64)
print(y_train.min().item(), y_train.max().item())

weights = torch.from_numpy(rng.normal(size=(784, 10)).astype(np.float32)) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


bs = 32  # batch size
xb = x_train[0:bs]  # a mini-batch from x
preds = model(xb)  # predictions
print([round(v, 4) for v in preds[0].tolist()], tuple(preds.shape))


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
yb = y_train[0:bs]
print(round(loss_func(preds, yb).item(), 4))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


print(accuracy(preds, yb).item())

lr = 0.5  # learning rate
epochs = 2  # how many epochs to train for
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(round(loss_func(model(xb), yb).item(), 4), accuracy(model(xb), yb).item())

import torch.nn.functional as F

loss_func = F.cross_entropy


def model(xb):
    return xb @ weights + bias


print(round(loss_func(model(xb), yb).item(), 4), accuracy(model(xb), yb).item())

from torch import nn


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = from_numpy_weights(Mnist_Logistic())
print(round(loss_func(model(xb), yb).item(), 4))


def fit():
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()


fit()
print(round(loss_func(model(xb), yb).item(), 4))


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


from torch import optim


def get_model():
    model = from_numpy_weights(Mnist_Logistic())
    return model, optim.SGD(model.parameters(), lr=lr)


from torch.utils.data import DataLoader, TensorDataset

train_ds = TensorDataset(x_train, y_train)
model, opt = get_model()
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb, yb = train_ds[i * bs: i * bs + bs]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        opt.step()
        opt.zero_grad()
print(round(loss_func(model(xb), yb).item(), 4))

valid_ds = TensorDataset(x_valid, y_valid)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)

    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()

    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)

        model.eval()
        with torch.no_grad():
            losses, nums = zip(
                *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
            )
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

        print(epoch, round(float(val_loss), 4))


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=False),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model()
fit(epochs, model, loss_func, opt, train_dl, valid_dl)


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


lr = 0.1
model = from_numpy_weights(Mnist_CNN())
opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
fit(epochs, model, loss_func, opt, train_dl, valid_dl)


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
from_numpy_weights(model)
dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
model.to(dev)
opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
fit(epochs, model, loss_func, opt, train_dl, valid_dl)

# ----- Build the Neural Network
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = from_numpy_weights(NeuralNetwork().to(device))
print(model)
X = torch.from_numpy(rng.random((1, 28, 28), dtype=np.float32))
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred.tolist()}")
input_image = torch.from_numpy(rng.random((3, 28, 28), dtype=np.float32))
print(tuple(input_image.size()))
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(tuple(flat_image.size()))
layer1 = from_numpy_weights(nn.Linear(in_features=28*28, out_features=20))
hidden1 = layer1(flat_image)
print(tuple(hidden1.size()))
print(f"Before ReLU: {(hidden1 < 0).sum().item()} negative")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {(hidden1 < 0).sum().item()} negative")
seq_modules = nn.Sequential(
    flatten,
    layer1,
    nn.ReLU(),
    from_numpy_weights(nn.Linear(20, 10))
)
logits = seq_modules(input_image)
softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)
print([round(v, 4) for v in pred_probab.sum(1).tolist()], pred_probab.argmax(1).tolist())
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {tuple(param.size())} | Values : {[round(v, 4) for v in param[:2].flatten()[:3].tolist()]}")
