"""Build the lessons: one source, two forms.

    python notebooks/build_notebooks.py           # write lesson_*.ipynb and lesson_*.py
    python notebooks/build_notebooks.py --check   # exit 1 if they differ from this source

Each lesson below is a list of cells. From it come a Jupyter notebook (without outputs) and
a plain Python script for those without Jupyter (markdown cells become comments):

    jupyter lab notebooks/lesson_1_chain_rule.ipynb
    python notebooks/lesson_1_chain_rule.py          # or: python -m notebooks.lesson_1_chain_rule

Edit the lessons here, never the generated files. The lessons write pictures only into a
temporary folder (printed at the top of each), never into the repository, and need no network.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

HERE = Path(__file__).resolve().parent


@dataclass
class Lesson:
    name: str  # the file stem: lesson_1_chain_rule
    title: str
    cells: list[tuple[str, str]]  # ("markdown" | "code", text)


def md(text: str) -> tuple[str, str]:
    return ("markdown", dedent(text).strip())


def code(text: str) -> tuple[str, str]:
    return ("code", dedent(text).strip())


SHOW = '''
OUT = Path(tempfile.mkdtemp(prefix="{prefix}-"))  # pictures go here, never into the repository
IN_NOTEBOOK = "ipykernel" in sys.modules
print("pictures are written to", OUT)


def show(picture, name="picture"):
    """Show a picture inline in Jupyter; as a plain script, save it into OUT and say where."""
    if IN_NOTEBOOK:
        from IPython.display import Image, display

        display(Image(filename=str(picture)) if isinstance(picture, Path) else picture)
    elif isinstance(picture, Path):
        print(f"[picture: {{picture}}]")
    elif isinstance(picture, viz.Frame):
        print(f"[picture: {{picture.render(OUT / (name + '.svg'))}}]")
    else:  # a graphviz graph
        print(f"[picture: {{picture.render(OUT / name, format='svg', cleanup=True)}}]")
'''


def setup(imports: str, prefix: str) -> tuple[str, str]:
    """The first code cell: imports, the temporary folder for pictures, and show()."""
    return code(dedent(imports).strip() + "\n\n" + dedent(SHOW).strip().format(prefix=prefix))


# ----- lesson 1 ----------------------------------------------------------------------------------

LESSON_1 = Lesson(
    "lesson_1_chain_rule",
    "Lesson 1: the chain rule, on numbers you can check by hand",
    [
        md(
            """
            # Lesson 1: the chain rule, on numbers you can check by hand

            A derivative says how much an output moves when an input moves a little. Backpropagation
            computes all of them at once, with one rule: **the chain rule**. In this lesson we

            1. build a small formula as a graph of operations,
            2. compute its derivatives by hand, from the local derivative of each operation,
            3. let `tg.explain` show every path from the output back to an input, and the
               products and sums that make the gradient,
            4. watch the engine do it, one step at a time (the backprop player).

            For the class: 45 minutes, no prerequisites beyond the derivative of a product.
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import numpy as np

            import tinygrad_edu as tg
            import viz
            from tinygrad_edu import Tensor
            from viz.graph import graph_structure
            """,
            "lesson1",
        ),
        md(
            """
            ## A formula as a graph

            $L = \\tanh(a \\cdot b + c) \\cdot a$ with $a = 2$, $b = -3$, $c = 10$. Every operation
            becomes a node that remembers its inputs: that is all the engine needs to go back.
            """
        ),
        code(
            """
            a = Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
            b = Tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
            c = Tensor(10.0, dtype=np.float64, requires_grad=True, name="c")
            e = a * b
            e.name = "e"
            d = e + c
            d.name = "d"
            t = d.tanh()
            t.name = "t"
            L = t * a
            L.name = "L"
            print("e =", e.item(), " d =", d.item(), " t =", round(t.item(), 6), " L =", round(L.item(), 6))
            show(viz.draw_graph(L), "graph")
            """
        ),
        md(
            """
            ## The chain rule by hand

            Each operation knows its own *local* derivative:

            | operation | local derivatives |
            |---|---|
            | $e = a \\cdot b$ | $\\partial e/\\partial a = b$, $\\partial e/\\partial b = a$ |
            | $d = e + c$ | $\\partial d/\\partial e = 1$, $\\partial d/\\partial c = 1$ |
            | $t = \\tanh d$ | $\\partial t/\\partial d = 1 - t^2$ |
            | $L = t \\cdot a$ | $\\partial L/\\partial t = a$, $\\partial L/\\partial a = t$ |

            The chain rule multiplies local derivatives along a path from $L$ back to an input. But
            $a$ is used **twice** (in $e$ and in $L$), so there are two paths from $L$ to $a$, and
            their contributions **add up**:

            $$\\frac{\\partial L}{\\partial a} = \\underbrace{t}_{\\text{direct}} +
            \\underbrace{a \\cdot (1 - t^2) \\cdot 1 \\cdot b}_{\\text{through } e}$$
            """
        ),
        code(
            """
            t_value = np.tanh(2.0 * -3.0 + 10.0)
            direct = t_value
            through_e = 2.0 * (1 - t_value**2) * 1.0 * -3.0
            print(f"direct path:    {direct:.6f}")
            print(f"path through e: {through_e:.6f}")
            print(f"dL/da by hand:  {direct + through_e:.6f}")
            """
        ),
        md(
            """
            ## `tg.explain`: every path, every factor

            `tg.explain(L, a)` walks the recorded graph, lists every path from `L` back to `a` with the
            local derivative of each step (computed by each op's own backward), multiplies along each
            path, adds the paths, and checks the sum against the engine's gradient.
            """
        ),
        code(
            """
            explanation = tg.explain(L, a)
            """
        ),
        md(
            """
            Each path is returned too: `explanation.paths[k].tensors` and `.contexts` (the ops) are the
            nodes along it, so we can draw it. Here is path 1, the one through $e$, $d$ and $t$:
            """
        ),
        code(
            """
            structure = graph_structure(L)  # the node ids draw_graph uses
            picture = viz.draw_graph(L)
            for tensor in explanation.paths[0].tensors:
                picture.node(structure.value_id(tensor), color="red", penwidth="3")
            for ctx in explanation.paths[0].contexts:
                picture.node(structure.op_id(ctx), color="red", penwidth="3")
            show(picture, "path_1")
            """
        ),
        md(
            """
            Is the engine right? A derivative is a limit, so we can estimate it with a small step $h$
            (central differences): $\\frac{f(a+h) - f(a-h)}{2h}$.
            """
        ),
        code(
            """
            def f(a, b, c):
                return np.tanh(a * b + c) * a


            h = 1e-6
            numerical = (f(2 + h, -3, 10) - f(2 - h, -3, 10)) / (2 * h)
            print(f"numerical: {numerical:.8f}   explain: {explanation.gradient.item():.8f}")
            for leaf in (b, c):
                tg.explain(L, leaf)
            """
        ),
        md(
            """
            Notice how small $\\partial L/\\partial c$ is: $\\tanh(4) \\approx 0.9993$ is nearly flat, so
            $1 - t^2$ is tiny. A saturated tanh (or sigmoid) passes almost no gradient back: this is the
            *vanishing gradient* you will meet again in deep networks.

            ## Backpropagation, one step at a time

            `viz.backprop_frames(L)` runs the engine's real backward pass (`tg.backward_steps`) and draws
            one picture per step: the op being differentiated, the gradient arriving from above, and
            what it sends to each input. When the walk reaches `a`, its two contributions add up.
            """
        ),
        code(
            """
            frames = viz.backprop_frames(L)
            for frame in frames:
                print(f"frame {frame.index}: {frame.caption}")
            show(frames[1], "frame_1")
            """
        ),
        code(
            """
            show(frames[-1], "frame_last")
            for leaf in (a, b, c):
                print(f"{leaf.name}.grad = {leaf.grad.item():.6f}")
            """
        ),
        md(
            """
            ## The player

            `viz.export_stepper` writes the frames as one self-contained web page: open it and step with
            the arrow keys. The same from a terminal, for any formula:

            ```
            python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out player
            ```
            """
        ),
        code(
            """
            page = viz.export_stepper(frames, OUT / "player")
            print("open this page in a browser and step with the arrow keys:", page)
            """
        ),
        md(
            """
            ## Exercises

            1. Change `c` to `0.5`. Which gradients grow, and why?
            2. Use `b` a second time, e.g. `L = t * a + b * b`. How many paths lead to `b` now? Check
               with `tg.explain`.
            3. Replace `tanh` by `sigmoid`; its local derivative is $\\sigma(1 - \\sigma)$. Verify one path
               product by hand.
            """
        ),
    ],
)


# ----- lesson 2 ----------------------------------------------------------------------------------

LESSON_2 = Lesson(
    "lesson_2_single_neuron",
    "Lesson 2: a single neuron (logistic regression)",
    [
        md(
            """
            # Lesson 2: a single neuron

            One neuron: a weighted sum of the inputs plus a bias, squashed by the sigmoid into a
            probability, $p = \\sigma(w \\cdot x + b)$. Trained with the log-loss, it is *logistic
            regression*. We make two clouds of points with NumPy, train the neuron with plain
            gradient descent written out by hand, and watch its decision boundary (the line
            $w \\cdot x + b = 0$) move as it learns.
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import numpy as np

            import tinygrad_edu as tg
            import viz
            from tinygrad_edu import Tensor, optim
            from tinygrad_edu.nn import functional as F
            from viz.plots import plot_decision_boundary, plot_training_curves
            """,
            "lesson2",
        ),
        md("## The data: two clouds in the plane"),
        code(
            """
            rng = np.random.default_rng(0)
            n = 100
            X = np.concatenate([rng.normal([-1.0, -1.0], 0.8, size=(n, 2)), rng.normal([1.5, 1.0], 0.8, size=(n, 2))])
            y = np.concatenate([np.zeros(n), np.ones(n)])
            print("X:", X.shape, " y:", y.shape, " class balance:", y.mean())
            """
        ),
        md(
            """
            ## The neuron and its loss

            For one point with label $y \\in \\{0, 1\\}$ the log-loss is
            $\\ell = -(y \\ln p + (1 - y) \\ln(1 - p))$: small when the neuron is confidently right,
            large when it is confidently wrong. We average it over the points.

            A small miracle of calculus: with $z = w \\cdot x + b$ and $p = \\sigma(z)$,
            $\\partial \\ell / \\partial z = p - y$. The error itself is the gradient. Let us check it on
            the engine (`z.retain_grad()` keeps the gradient of a non-leaf tensor).
            """
        ),
        code(
            """
            w = Tensor(np.zeros(2), requires_grad=True, name="w")
            b = Tensor(0.0, dtype=np.float64, requires_grad=True, name="b")


            def log_loss(p, y):
                return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


            z = Tensor(X) @ w + b
            z.retain_grad()
            p = z.sigmoid()
            loss = log_loss(p, y)
            loss.backward()
            print("loss at w = 0:", loss.item(), "(ln 2 =", np.log(2), ")")
            print("dL/dz equals (p - y) / N:", np.allclose(z.grad.data, (p.data - y) / len(y)))
            """
        ),
        md(
            """
            ## Gradient descent, by hand

            Repeat: forward, zero the old gradients, backward, step downhill
            $w \\leftarrow w - \\eta \\, \\partial L / \\partial w$. We draw the decision boundary at a
            few moments.
            """
        ),
        code(
            """
            w = Tensor(np.array([-1.0, 0.5]), requires_grad=True, name="w")  # a bad start, on purpose
            b = Tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
            lr = 0.5
            history = []


            def predict(points):
                with tg.no_grad():
                    return (Tensor(points) @ w + b).sigmoid()


            for step in range(101):
                p = (Tensor(X) @ w + b).sigmoid()
                loss = log_loss(p, y)
                w.grad = None
                b.grad = None
                loss.backward()
                w.data = w.data - lr * w.grad.data
                b.data = b.data - lr * b.grad.data
                accuracy = np.mean((p.data > 0.5) == y)
                history.append({"epoch": step, "train_loss": loss.item(), "train_accuracy": accuracy})
                if step in (0, 3, 10, 100):
                    title = f"step {step}: loss {loss.item():.3f}, accuracy {100 * accuracy:.0f}%"
                    path = OUT / f"boundary_{step}.png"
                    show(plot_decision_boundary(predict, X, y, path, resolution=100, title=title))
            """
        ),
        code(
            """
            show(plot_training_curves(history, OUT / "curves.png", title="one neuron, gradient descent"))
            print("w =", w.data, " b =", b.item())
            """
        ),
        md(
            """
            ## The same with an optimizer, and a stable loss

            `optim.SGD` does the update and `zero_grad()` the clearing. Computing $\\ln \\sigma(z)$ from
            $\\sigma(z)$ breaks for large $|z|$: in float32, $\\sigma(20) = 1$ exactly, so
            $\\ln(1 - \\sigma(20)) = -\\infty$. `F.binary_cross_entropy_with_logits` takes $z$ itself and
            uses the stable form $\\max(z, 0) - z y + \\ln(1 + e^{-|z|})$.
            """
        ),
        code(
            """
            z = Tensor([20.0, -30.0])
            target = Tensor([0.0, 1.0])
            with np.errstate(divide="ignore"):
                print("naive: ", log_loss(z.sigmoid(), target).item())
            print("stable:", F.binary_cross_entropy_with_logits(z, target).item(), "(= (20 + 30) / 2)")

            w = Tensor(np.zeros(2), requires_grad=True)
            b = Tensor(0.0, dtype=np.float64, requires_grad=True)
            optimizer = optim.SGD([w, b], lr=0.5)
            for _ in range(100):
                loss = F.binary_cross_entropy_with_logits(Tensor(X) @ w + b, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            print(f"after 100 steps: loss {loss.item():.4f}")
            """
        ),
        md(
            """
            ## Exercises

            1. Try `lr = 5` and `lr = 0.01`. What happens to the curves?
            2. Move the clouds so that they overlap more. Can the neuron still reach 100%?
            3. Make the data *not* linearly separable (class 1 inside a ring of class 0). Why must one
               neuron fail? (Lesson 3 fixes it.)
            """
        ),
    ],
)


# ----- lesson 3 ----------------------------------------------------------------------------------

LESSON_3 = Lesson(
    "lesson_3_mlp",
    "Lesson 3: from one neuron to an MLP",
    [
        md(
            """
            # Lesson 3: from one neuron to a multi-layer perceptron

            Many neurons side by side are a matrix multiplication; layers of them, with a
            non-linearity between, are an MLP. On the way we meet **broadcasting** (and why the bias
            gradient is a sum), the **softmax**, and a **cross-entropy** that does not blow up.
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import numpy as np

            import tinygrad_edu as tg
            import viz
            from tinygrad_edu import Tensor, nn, optim
            from tinygrad_edu.nn import functional as F
            from viz.plots import plot_decision_boundary
            """,
            "lesson3",
        ),
        md(
            """
            ## A layer is a matrix product, and the bias broadcasts

            A batch of 4 points with 2 features, a layer of 3 neurons: `X @ W` has shape (4, 3), and the
            bias of shape (3,) is *broadcast*, added to each of the 4 rows. Since every row used the same
            bias, its gradient is the **sum over the batch**: the engine sums broadcast gradients back to
            each input's shape, in one place.
            """
        ),
        code(
            """
            rng = np.random.default_rng(0)
            X = Tensor(rng.normal(size=(4, 2)), name="X")
            W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="W")
            bias = Tensor(np.zeros(3), requires_grad=True, name="bias")
            H = X @ W + bias
            print("X", X.shape, "@ W", W.shape, "+ bias", bias.shape, "->", H.shape)
            upstream = rng.normal(size=(4, 3))
            H.backward(upstream)
            print("bias.grad:            ", bias.grad.data)
            print("upstream summed over 0:", upstream.sum(axis=0))
            show(viz.draw_graph(H), "layer")
            """
        ),
        md(
            """
            ## Softmax and cross-entropy, naive and stable

            With more than two classes, the last layer gives one score (logit) per class and the softmax
            turns them into probabilities: $p_i = e^{z_i} / \\sum_j e^{z_j}$. The cross-entropy is
            $-\\ln p_{\\text{target}}$. Written naively, $e^{1000}$ overflows to infinity, and
            $\\infty / \\infty$ is NaN.
            """
        ),
        code(
            """
            logits = Tensor([[1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]], requires_grad=True)
            targets = np.array([0, 1])
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                naive_probabilities = logits.exp() / logits.exp().sum(axis=1, keepdims=True)
                naive_loss = -naive_probabilities.log()[np.arange(2), targets].mean()
            print("naive probabilities:", naive_probabilities.data.tolist())
            print("naive loss:", naive_loss.item())
            """
        ),
        md(
            """
            Subtracting the largest logit changes nothing mathematically
            ($e^{z_i - m} / \\sum_j e^{z_j - m}$ is the same fraction) and makes every exponent $\\le 0$.
            Better still, compute $\\ln p$ directly: $\\ln p_i = (z_i - m) - \\ln \\sum_j e^{z_j - m}$
            (log-sum-exp). That is what `log_softmax` and `F.cross_entropy` do, and the gradient,
            $p - \\text{onehot}(\\text{target})$ divided by the batch size, is finite too.
            """
        ),
        code(
            """
            print("log_softmax:", logits.log_softmax(axis=1).data.tolist())
            loss = F.cross_entropy(logits, targets)
            loss.backward()
            print("stable loss:", loss.item())
            print("gradient (p - onehot) / 2:", logits.grad.data.round(4).tolist())
            """
        ),
        md(
            """
            ## Data one neuron cannot separate

            Three interleaved spirals. A single layer (softmax regression) can only draw straight
            boundaries; a hidden layer of 32 tanh neurons bends them.
            """
        ),
        code(
            """
            def spirals(points_per_class, classes, rng):
                X, y = [], []
                for k in range(classes):
                    radius = np.linspace(0.05, 1, points_per_class)
                    angle = np.linspace(k * 4, (k + 1) * 4, points_per_class) + rng.normal(0, 0.2, points_per_class)
                    X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
                    y.append(np.full(points_per_class, k))
                return np.concatenate(X).astype(np.float32), np.concatenate(y)


            X, y = spirals(100, 3, np.random.default_rng(1))


            def train(model, steps=300, lr=0.02):
                optimizer = optim.Adam(model.parameters(), lr=lr)
                for _ in range(steps):
                    loss = F.cross_entropy(model(Tensor(X)), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                with tg.no_grad():
                    accuracy = np.mean(model(Tensor(X)).data.argmax(axis=1) == y)
                return loss.item(), accuracy


            def predict_with(model):
                def predict(points):
                    with tg.no_grad():
                        return model(Tensor(points.astype(np.float32)))

                return predict


            rng = np.random.default_rng(0)
            linear = nn.Linear(2, 3, generator=rng)
            mlp = nn.Sequential(nn.Linear(2, 32, generator=rng), nn.Tanh(), nn.Linear(32, 3, generator=rng))
            for label, model in (("one layer", linear), ("MLP 2-32-3", mlp)):
                loss, accuracy = train(model)
                title = f"{label}: loss {loss:.3f}, accuracy {100 * accuracy:.0f}%"
                print(title)
                path = OUT / f"{label[:3]}.png"
                show(plot_decision_boundary(predict_with(model), X, y, path, resolution=100, title=title))
            """
        ),
        md(
            """
            ## Exercises

            1. Replace `nn.Tanh()` by `nn.ReLU()`. How do the boundaries change shape?
            2. How few hidden neurons still separate the spirals?
            3. Print `mlp` and count its parameters: `sum(p.size for p in mlp.parameters())`.
            """
        ),
    ],
)


# ----- lesson 4 ----------------------------------------------------------------------------------

LESSON_4 = Lesson(
    "lesson_4_mnist",
    "Lesson 4: MNIST, train, evaluate, look at the mistakes",
    [
        md(
            """
            # Lesson 4: handwritten digits

            MNIST: 70,000 images of 28×28 pixels, each a digit 0–9. The data ships with this
            repository (`mnist/data/`), so everything runs offline. We train a small MLP on a subset
            (fast enough for class), evaluate it on the 10,000 test images, and look at what it gets
            wrong.
            """
        ),
        setup(
            """
            import subprocess
            import sys
            import tempfile
            from pathlib import Path

            import viz
            from mnist import data
            from mnist.config import make_config
            from mnist.evaluate import evaluate_logits, format_report
            from mnist.train import TrainingRun, predict
            from viz.plots import plot_confusion_matrix, plot_digit_grid, plot_training_curves
            """,
            "lesson4",
        ),
        md("## The data"),
        code(
            """
            images, labels = data.load("train")
            print("train images:", images.shape, images.dtype, " labels:", labels[:16])
            show(plot_digit_grid(images[:16], labels[:16], None, OUT / "first_digits.png", title="the first 16"))
            """
        ),
        md(
            """
            ## Train

            The model is data: `arch=(784, 128, 10)` is 784 pixels in, 128 hidden ReLU neurons, 10 scores
            out. We train on the first 8,000 images for 2 epochs (the full default run,
            `python -m mnist.train`, reaches about 98% in under a minute).
            """
        ),
        code(
            """
            config = make_config({"arch": (784, 128, 10), "epochs": 2, "limit": 8000, "dropout": 0.0, "seed": 0})
            run = TrainingRun(config)
            print(run.model)
            run.run(None, show_progress=False)
            show(plot_training_curves(run.history, OUT / "curves.png", title="784-128-10 on 8,000 images"))
            """
        ),
        md("## Evaluate: accuracy per digit and the confusion matrix"),
        code(
            """
            logits = predict(run.model, run.splits.x_test)
            evaluation = evaluate_logits(logits, run.splits.y_test)
            print(format_report(evaluation))
            show(plot_confusion_matrix(evaluation.confusion, OUT / "confusion.png"))
            """
        ),
        md(
            """
            Row = true digit, column = prediction. The diagonal is right; the largest off-diagonal
            cells are the confusions (4 vs 9, 3 vs 5, 7 vs 2 are the classics).

            ## The most confident mistakes

            Which wrong answers did the model give with the highest probability? Some are sloppy
            digits a person would misread too; some are genuine model errors.
            """
        ),
        code(
            """
            wrong = evaluation.most_confident_mistakes(16)
            print("confidence:", evaluation.confidence[wrong].round(3))
            show(
                plot_digit_grid(
                    run.splits.x_test[wrong],
                    evaluation.labels[wrong],
                    evaluation.predictions[wrong],
                    OUT / "most_wrong.png",
                    title="most confident mistakes",
                )
            )
            """
        ),
        md(
            """
            ## What did the first layer learn?

            Each hidden neuron has 784 weights, one per pixel: draw them as an image. Many look like
            blurry strokes or blobs: templates the neuron responds to.
            """
        ),
        code(
            """
            first_layer = run.model[0]
            print("weight shape (out, in):", first_layer.weight.shape)
            templates = first_layer.weight.data[:16]
            show(plot_digit_grid(templates, list(range(16)), None, OUT / "weights.png", title="first-layer weights"))
            """
        ),
        md(
            """
            ## The same from the command line

            ```
            python -m mnist.train --arch 784-128-10 --epochs 3 --limit 10000 --out runs/quick
            python -m mnist.evaluate runs/quick/checkpoint.npz
            ```

            Here with a tiny run into the temporary folder:
            """
        ),
        code(
            """
            run_dir = OUT / "cli-run"
            command = [sys.executable, "-m", "mnist.train", "--arch", "784-32-10", "--epochs", "1", "--limit", "2000"]
            result = subprocess.run([*command, "--out", str(run_dir)], capture_output=True, text=True, timeout=120)
            print(result.stdout[-600:])
            result = subprocess.run(
                [sys.executable, "-m", "mnist.evaluate", str(run_dir / "checkpoint.npz")],
                capture_output=True,
                text=True,
                timeout=120,
            )
            print(result.stdout[:200])
            print(sorted(path.name for path in run_dir.iterdir()))
            """
        ),
        md(
            """
            ## Exercises

            1. Train on all 60,000 images (`limit=None`). How much does the accuracy gain?
            2. Which digit is hardest? Is it the same with a bigger hidden layer?
            3. Look at the confusion matrix: which pair of digits is confused most, in both directions?
            """
        ),
    ],
)


# ----- lesson 5 ----------------------------------------------------------------------------------

LESSON_5 = Lesson(
    "lesson_5_new_op",
    "Lesson 5: writing a new op and proving its gradient",
    [
        md(
            """
            # Lesson 5: write a new op, and prove its gradient right

            Every op in tinygrad_edu is a `Function` with a `forward` (NumPy arrays in, an array out)
            and a `backward` (the gradient of the output in, one gradient per input out). We add
            **softplus**, $\\ln(1 + e^x)$, a smooth ReLU, and then make every mistake on purpose to see
            how the tools catch it. (The full walk-through: `docs/adding_an_op.md`.)
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import numpy as np

            import tinygrad_edu as tg
            import viz
            from tinygrad_edu import Function, Tensor
            from tinygrad_edu.nn import functional as F
            from tinygrad_edu.testing import check_op
            """,
            "lesson5",
        ),
        md(
            """
            ## The op

            Math first: $\\frac{d}{dx} \\ln(1 + e^x) = \\frac{e^x}{1 + e^x} = \\sigma(x)$. And a stable
            forward: $\\ln(1 + e^{-|x|}) + \\max(x, 0)$ never overflows.
            """
        ),
        code(
            """
            class Softplus(Function):
                \"\"\"Softplus, elementwise.
                forward:  y = ln(1 + eˣ) = ln(1 + e^(−|x|)) + max(x, 0)
                backward: ∂L/∂x = ∂L/∂y · σ(x)
                \"\"\"

                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    return grad_output * x.sigmoid()


            x = Tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0])
            print(Softplus.apply(x))
            """
        ),
        md(
            """
            ## `check_op`: every contract a built-in op meets

            Shapes and dtypes (float32 stays float32), the gradient against central differences
            (`gradcheck`, in float64, with a random upstream gradient), second derivatives
            (`gradgradcheck`), and, for ops with several inputs, broadcasting on shapes drawn by
            hypothesis.
            """
        ),
        code(
            """
            print(check_op(lambda x: Softplus.apply(x), (3, 4), name="softplus"))
            """
        ),
        md(
            """
            ## A wrong backward

            Differentiate once too often, $\\sigma(x)(1 - \\sigma(x))$ instead of $\\sigma(x)$, and see
            which check fails and what it says.
            """
        ),
        code(
            """
            class SoftplusWrong(Softplus):
                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    s = x.sigmoid()
                    return grad_output * s * (1 - s)


            report = check_op(lambda x: SoftplusWrong.apply(x), (3, 4), name="softplus_wrong")
            print(report)
            print("ok?", report.ok)
            """
        ),
        md(
            """
            ## Finding the wrong op inside a model: `tg.check_graph`

            `gradcheck` of a whole loss tells you *that* something is wrong. `tg.check_graph(fn, *inputs)`
            runs `fn`, then checks every op it recorded, each alone, on the inputs it actually saw, and
            names the first op whose backward disagrees, with your line of code.
            """
        ),
        code(
            """
            rng = np.random.default_rng(0)
            images = Tensor(rng.normal(size=(8, 5)))
            labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])
            w1 = Tensor(rng.normal(size=(5, 4)) * 0.5, requires_grad=True, name="w1")
            w2 = Tensor(rng.normal(size=(4, 3)) * 0.5, requires_grad=True, name="w2")


            def loss_fn(w1, w2):
                hidden = SoftplusWrong.apply(images @ w1)
                logits = hidden @ w2
                return F.cross_entropy(logits, labels)


            try:
                tg.gradcheck(loss_fn, [w1, w2])
            except tg.GradcheckError as error:
                print("gradcheck of the whole loss:", str(error).splitlines()[0], "\\n")

            report = tg.check_graph(loss_fn, w1, w2)
            print(report)
            """
        ),
        md("Where the culprit sits in the graph (op 2, between the two matrix products):"),
        code(
            """
            show(viz.draw_graph(loss_fn(w1, w2), show_values=False), "model_graph")
            """
        ),
        md(
            """
            ## Kinks are not bugs

            ReLU has no derivative at exactly 0: from the left the slope is 0, from the right 1. The
            engine picks 0 (a convention, like PyTorch). `check_graph` notices that the two one-sided
            slopes differ and reports a *kink*, not an error.
            """
        ),
        code(
            """
            z = Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, name="z")
            print(tg.check_graph(lambda z: (z.relu() * 3).sum(), z))
            """
        ),
        md(
            """
            ## Exercises

            1. Write `Square` ($x^2$) with the bug `grad_output * x` (forgot the 2). What does `check_op` say?
            2. Write a two-input op `SmoothMax(a, b) = ln(eᵃ + eᵇ)` and run `check_op(fn, (2, 3), (3,))`:
               the broadcasting check draws other shapes too.
            3. Forget `ctx.save_for_backward` and use a Python attribute instead. Which check catches it?
            """
        ),
    ],
)


# ----- lesson 6 ----------------------------------------------------------------------------------

LESSON_6 = Lesson(
    "lesson_6_second_derivatives",
    "Lesson 6: derivatives of derivatives",
    [
        md(
            """
            # Lesson 6: derivatives of derivatives

            With `create_graph=True`, computing a gradient records a graph of its own, so the gradient
            can be differentiated again: second derivatives, Hessian-vector products, Newton's method.
            And the backward pass itself becomes something we can draw.
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import numpy as np

            import tinygrad_edu as tg
            import viz
            from tinygrad_edu import Tensor
            """,
            "lesson6",
        ),
        md("## $x^3$, three times"),
        code(
            """
            x = Tensor(1.5, dtype=np.float64, requires_grad=True, name="x")
            y = x**3
            (dy,) = tg.grad(y, x, create_graph=True)  # 3x² = 6.75, itself a Tensor with a graph
            (d2y,) = tg.grad(dy, x, create_graph=True)  # 6x = 9
            (d3y,) = tg.grad(d2y, x)  # 6
            print("y =", y.item(), " dy/dx =", dy.item(), " d²y/dx² =", d2y.item(), " d³y/dx³ =", d3y.item())
            """
        ),
        md(
            """
            ## The backward pass is a graph too

            `dy` was computed by the backward formula of `Pow`, written with Tensor operations; with
            `create_graph=True` those operations were recorded. Here is the graph that computes
            $\\partial y / \\partial x$:
            """
        ),
        code(
            """
            dy.name = "dy/dx"
            show(viz.draw_graph(dy), "backward_graph")
            """
        ),
        md("## sin, differentiated four times, comes back to itself"),
        code(
            """
            x = Tensor(0.7, dtype=np.float64, requires_grad=True, name="x")
            derivative = x.sin()
            for order in range(1, 5):
                (derivative,) = tg.grad(derivative, x, create_graph=True)
                print(f"order {order}: {derivative.item():+.6f}")
            print("cos, -sin, -cos, sin at 0.7:", np.cos(0.7), -np.sin(0.7), -np.cos(0.7), np.sin(0.7))
            """
        ),
        md(
            """
            ## A Hessian-vector product without the Hessian

            For $f: \\mathbb{R}^n \\to \\mathbb{R}$ the Hessian $H$ has $n^2$ entries; but $H v$ is the
            gradient of $g \\cdot v$ where $g = \\nabla f$: one more backward pass, at about the cost of
            a gradient. Take $f(w) = \\tfrac12 w^\\top A w + \\sum_i \\sin w_i$; its Hessian is
            $\\tfrac12 (A + A^\\top) - \\operatorname{diag}(\\sin w)$.
            """
        ),
        code(
            """
            rng = np.random.default_rng(0)
            A = rng.normal(size=(3, 3))
            w = Tensor(rng.normal(size=3), requires_grad=True, name="w")
            v = rng.normal(size=3)


            def f(w):
                return 0.5 * (w * (Tensor(A) @ w)).sum() + w.sin().sum()


            (g,) = tg.grad(f(w), w, create_graph=True)
            (hvp,) = tg.grad((g * Tensor(v)).sum(), w)
            hessian = 0.5 * (A + A.T) - np.diag(np.sin(w.data))
            print("H v by double backward:", hvp.data)
            print("H v from the formula:  ", hessian @ v)
            """
        ),
        md("The whole Hessian is $n$ such products, one per unit vector:"),
        code(
            """
            rows = []
            for i in range(3):
                (g,) = tg.grad(f(w), w, create_graph=True)
                (row,) = tg.grad(g[i], w)
                rows.append(row.data)
            print(np.allclose(np.array(rows), hessian))
            """
        ),
        md(
            """
            ## Newton's method

            Gradient descent uses the slope only; Newton's method also uses the curvature:
            $x \\leftarrow x - f'(x) / f''(x)$. On $f(x) = x^4 - 3x^2 + x$ it lands on a minimum in a few
            steps.
            """
        ),
        code(
            """
            x = Tensor(2.0, dtype=np.float64, requires_grad=True)
            for step in range(6):
                f_value = x**4 - 3 * x**2 + x
                (slope,) = tg.grad(f_value, x, create_graph=True)
                (curvature,) = tg.grad(slope, x)
                print(f"step {step}: x = {x.item():.8f}  f'(x) = {slope.item():+.2e}")
                x = Tensor(x.data - slope.data / curvature.data, requires_grad=True)
            """
        ),
        md(
            """
            ## Exercises

            1. Draw the graph of the *second* derivative of $x^3$. How many ops does it have?
            2. Check the Hessian of $f$ numerically: central differences of the gradient.
            3. Start Newton's method at $x = 0.1$. Where does it go, and is that a minimum?
            """
        ),
    ],
)


# ----- lesson 7 ----------------------------------------------------------------------------------

LESSON_7 = Lesson(
    "lesson_7_experiments",
    "Lesson 7: experiments",
    [
        md(
            """
            # Lesson 7: experiments, one change at a time

            Four controlled experiments on MNIST, each changing one thing and keeping the rest fixed
            (784-128-10, ReLU, cross-entropy, seed 0). To run in class they use a small subset (2,000
            images, 2 epochs); the full versions are `python -m mnist.experiments lr|activation|arch|loss`.
            Before each one, ask the class to predict the outcome.
            """
        ),
        setup(
            """
            import sys
            import tempfile
            from pathlib import Path

            import viz
            from mnist.config import make_config
            from mnist.experiments import BASE, EXPERIMENTS, markdown_table, plot_results
            from mnist.train import RunError, TrainingRun, load_data

            EPOCHS = 2
            IMAGES = 2000  # training images, and as many test images
            """,
            "lesson7",
        ),
        md(
            """
            An experiment is a list of runs: the shared settings (`BASE`), the experiment's own base,
            and the one setting that changes. Each run trains a fresh model from the same seed.
            """
        ),
        code(
            """
            train_images, train_labels, test_images, test_labels = load_data(None)
            subset = (train_images[:IMAGES], train_labels[:IMAGES], test_images[:IMAGES], test_labels[:IMAGES])
            print("shared settings:", BASE)


            def experiment(name):
                chosen = EXPERIMENTS[name]
                print(chosen.question)
                results = []
                for label, settings in chosen.runs:
                    config = make_config(BASE, chosen.base, settings, {"epochs": EPOCHS})
                    run = TrainingRun(config, subset)
                    diverged = None
                    try:
                        run.run(None, show_progress=False, log=lambda line: None)
                    except RunError as error:  # the loss became NaN or infinite
                        diverged = str(error)
                    final = run.history[-1] if run.history else {}
                    results.append(
                        {
                            "label": label,
                            "history": run.history,
                            "diverged": diverged,
                            "train_loss": final.get("train_loss"),
                            "train_accuracy": final.get("train_accuracy"),
                            "test_accuracy": final.get("test_accuracy"),
                            "train_seconds": run.train_seconds,
                        }
                    )
                print(markdown_table(results))
                path = OUT / f"{name}.png"
                if plot_results(results, chosen.question, path) is None:
                    show(path)
                return results
            """
        ),
        md(
            """
            ## 1. Learning rate (plain SGD)

            Too small: it barely moves. Too large: it overshoots and may diverge.
            """
        ),
        code('lr_results = experiment("lr")'),
        md(
            """
            ## 2. Activation: sigmoid, tanh or ReLU

            Sigmoid saturates (remember lesson 1's tiny gradient through a flat tanh), so with plain SGD
            it learns slowest.
            """
        ),
        code('activation_results = experiment("activation")'),
        md(
            """
            ## 3. Architecture: depth and width

            `784-10` is softmax regression (no hidden layer). `784-10-10` squeezes everything through
            10 neurons.
            """
        ),
        code('arch_results = experiment("arch")'),
        md(
            """
            ## 4. Mean squared error or cross-entropy

            MSE on softmax outputs has a gradient that vanishes when the network is confidently wrong;
            cross-entropy's gradient, $p - \\text{onehot}$, does not.
            """
        ),
        code('loss_results = experiment("loss")'),
        md(
            """
            ## Exercises

            1. Re-run with `IMAGES = 10000` and `EPOCHS = 5`. Do the rankings change?
            2. Change the seed (`EXPERIMENTS['lr'].base['seed'] = 1`): how much of each difference is noise?
            3. Design your own experiment: batch size 16 vs 128 vs "full".
            """
        ),
    ],
)


LESSONS = [LESSON_1, LESSON_2, LESSON_3, LESSON_4, LESSON_5, LESSON_6, LESSON_7]


# ----- writing the files -------------------------------------------------------------------------


def notebook_text(lesson: Lesson) -> str:
    """The lesson as a Jupyter notebook (nbformat 4, no outputs, stable cell ids)."""
    import nbformat

    cells = []
    for number, (kind, text) in enumerate(lesson.cells):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            cell = nbformat.v4.new_code_cell(text)
        cell["id"] = f"cell-{number}"
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def script_text(lesson: Lesson) -> str:
    """The lesson as a plain Python script: markdown cells become comments."""
    parts = [
        f'"""{lesson.title}.\n\nGenerated from notebooks/build_notebooks.py (edit it there, then rebuild); the same '
        f"lesson as\n{lesson.name}.ipynb, for those without Jupyter:\n\n    python notebooks/{lesson.name}.py\n"
        '"""'
    ]
    for kind, text in lesson.cells:
        if kind == "markdown":
            parts.append("\n".join(("# " + line).rstrip() for line in text.splitlines()))
        else:
            parts.append(text)
    script = parts[0]
    for previous, part in zip(parts, parts[1:]):
        # Two blank lines around top-level functions and classes, one elsewhere (as ruff formats it).
        around_definition = _defines(previous) or _defines(part.splitlines()[0])
        script += ("\n\n\n" if around_definition else "\n\n") + part
    return script + "\n"


def _defines(text: str) -> bool:
    return any(line.startswith(("def ", "class ", "@")) for line in text.splitlines())


def outputs() -> dict[Path, str]:
    files = {}
    for lesson in LESSONS:
        files[HERE / f"{lesson.name}.ipynb"] = notebook_text(lesson)
        files[HERE / f"{lesson.name}.py"] = script_text(lesson)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the lesson notebooks and scripts from this file.")
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run python notebooks/build_notebooks.py", file=sys.stderr)
        return 1
    changed = f" ({len(stale)} changed)" if stale else ""
    print(f"{'checked' if args.check else 'wrote'} {2 * len(LESSONS)} files{changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
