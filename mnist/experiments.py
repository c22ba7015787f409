"""Small controlled experiments, each changing one thing: ``python -m mnist.experiments NAME``.

    python -m mnist.experiments lr                  # learning rates of plain SGD
    python -m mnist.experiments activation          # sigmoid vs tanh vs ReLU
    python -m mnist.experiments arch                # 784-10 (softmax regression) ... 784-256-128-10
    python -m mnist.experiments loss                # mean squared error vs cross-entropy
    python -m mnist.experiments optimizer           # SGD vs momentum vs Adam
    python -m mnist.experiments arch --epochs 2 --limit 10000      # quicker
    python -m mnist.experiments --preset nielsen    # a classic from-scratch setup (see PRESETS)

Every run of an experiment shares the base settings (784-128-10, ReLU, cross-entropy, no
dropout, constant learning rate, seed 0) except the one being compared. The results go to
``--out`` (default ``runs/experiments/<name>/``): ``results.md`` (the markdown table, also
printed), ``results.json`` and ``<name>.png`` (test accuracy per epoch, when matplotlib is
installed).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checkpoint import RunError
from .cli import (
    EXIT_INTERRUPTED,
    OneLineParser,
    check_data_dir,
    check_not_empty,
    check_whole,
    one_line,
    report,
    run_command,
    run_main,
)
from .config import make_config
from .files import RunFolder, write_json, write_picture, write_text
from .splits import load_data
from .training import PLOT_EXTRA_HINT, TrainingRun, matplotlib_is_missing

BASE = {
    "arch": (784, 128, 10),
    "activation": "relu",
    "dropout": 0.0,
    "loss": "ce",
    "schedule": "none",
    "batch_size": 128,
    "seed": 0,
}


@dataclass
class Experiment:
    """A question, and the runs (label, settings) that answer it."""

    question: str
    runs: list[tuple[str, dict[str, Any]]]
    epochs: int = 5
    base: dict[str, Any] = field(default_factory=dict)


EXPERIMENTS = {
    "lr": Experiment(
        "How does the learning rate of plain SGD change training?",
        [(f"lr {lr:g}", {"lr": lr}) for lr in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)],
        base={"optimizer": "sgd"},
    ),
    "activation": Experiment(
        "Sigmoid, tanh or ReLU in the hidden layer (SGD, lr 0.1)?",
        [(name, {"activation": name}) for name in ("sigmoid", "tanh", "relu")],
        base={"optimizer": "sgd", "lr": 0.1},
    ),
    "arch": Experiment(
        "How much does depth and width buy (Adam, lr 1e-3)?",
        [
            (text, {"arch": tuple(int(size) for size in text.split("-"))})
            for text in ("784-10", "784-10-10", "784-64-10", "784-128-10", "784-256-128-10")
        ],
        base={"optimizer": "adam", "lr": 1e-3},
    ),
    "loss": Experiment(
        "Mean squared error (on softmax outputs) or cross-entropy (SGD, lr 0.1)?",
        [("mse", {"loss": "mse"}), ("cross-entropy", {"loss": "ce"})],
        base={"optimizer": "sgd", "lr": 0.1},
    ),
    "optimizer": Experiment(
        "SGD, SGD with momentum 0.9, or Adam, each at its usual learning rate?",
        [
            ("sgd lr 0.1", {"optimizer": "sgd", "lr": 0.1}),
            ("momentum 0.9 lr 0.01", {"optimizer": "momentum", "lr": 0.01}),
            ("momentum 0.9 lr 0.05", {"optimizer": "momentum", "lr": 0.05}),
            ("adam lr 1e-3", {"optimizer": "adam", "lr": 1e-3}),
        ],
    ),
}

# Classic from-scratch setups, reproduced with this framework (one run each).
PRESETS = {
    "fullbatch": Experiment(
        "784-64-10 ReLU, full-batch gradient descent, lr 0.5, 100 epochs (reported: ~90%)",
        [("784-64-10 full-batch GD", {"arch": (784, 64, 10), "batch_size": "full", "optimizer": "sgd", "lr": 0.5})],
        epochs=100,
    ),
    "tiny": Experiment(
        "784-10-10 ReLU, full-batch gradient descent, lr 0.1, 500 epochs (the 'NN from scratch' video: ~85%)",
        [("784-10-10 full-batch GD", {"arch": (784, 10, 10), "batch_size": "full", "optimizer": "sgd", "lr": 0.1})],
        epochs=500,
    ),
    "nielsen": Experiment(
        "784-30-10 sigmoid, mean squared error, mini-batches of 10, 30 epochs (Nielsen's network.py: ~95%)",
        [
            (
                "784-30-10 sigmoid MSE",
                {
                    "arch": (784, 30, 10),
                    "activation": "sigmoid",
                    "loss": "mse",
                    "batch_size": 10,
                    "optimizer": "sgd",
                    # Nielsen's lr 3.0 is for (1/2)·Σ over the 10 outputs; our mse_loss averages over
                    # them (5x smaller gradients) and goes through softmax, not sigmoid: 10 works best
                    "lr": 10.0,
                },
            )
        ],
        epochs=30,
    ),
    "best": Experiment(
        "The >= 98.8% recipe: 784-1200-1200-10 ReLU, dropout 0.5 (inputs 0.2), Adam 1e-3, cosine, batch 128, 40 epochs",
        [
            (
                "784-1200-1200-10 dropout 0.5/0.2",
                {
                    "arch": (784, 1200, 1200, 10),
                    "dropout": 0.5,
                    "input_dropout": 0.2,
                    "optimizer": "adam",
                    "lr": 1e-3,
                    "schedule": "cosine",
                },
            )
        ],
        epochs=40,
    ),
    "cnn": Experiment(
        "The >= 99.2% convolutional network: conv16k5-pool2-conv32k5-pool2-fc128-10 ReLU, dropout 0.25, "
        "Adam 1e-3, cosine, batch 128, 15 epochs",
        [
            (
                "conv16k5-pool2-conv32k5-pool2-fc128-10",
                {
                    "arch": ("conv16k5", "pool2", "conv32k5", "pool2", "fc128", 10),
                    "dropout": 0.25,
                    "optimizer": "adam",
                    "lr": 1e-3,
                    "schedule": "cosine",
                },
            )
        ],
        epochs=15,
    ),
}


def run_experiment(
    experiment: Experiment, epochs: int, limit: int | None, data_dir: str | None, log: Any = print
) -> list[dict[str, Any]]:
    """Train every run of the experiment; one result dict per run (diverged runs are marked)."""
    results = []
    loaded = load_data(data_dir)
    for label, settings in experiment.runs:
        config = make_config(BASE, experiment.base, settings, {"epochs": epochs, "limit": limit, "data_dir": data_dir})
        log(f"--- {label}")
        run = TrainingRun(config, loaded)
        diverged = None
        try:
            run.run(None, show_progress=False, log=lambda line: log("    " + line))
        except RunError as error:
            diverged = one_line(error)
            log(f"    {diverged}")
        final = run.history[-1] if run.history else {}
        results.append(
            {
                "label": label,
                "config": config.to_dict(),
                "history": run.history,
                "diverged": diverged,
                "train_loss": final.get("train_loss"),
                "train_accuracy": final.get("train_accuracy"),
                "test_accuracy": final.get("test_accuracy"),
                "train_seconds": round(run.train_seconds, 2),
            }
        )
    return results


def markdown_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| run | epochs | final train loss | train accuracy | test accuracy | training seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result["diverged"] and not result["history"]:
            lines.append(f"| {result['label']} | 0 | diverged | - | - | {result['train_seconds']:.1f} |")
            continue
        note = " (diverged)" if result["diverged"] else ""
        lines.append(
            f"| {result['label']}{note} | {len(result['history'])} | {result['train_loss']:.4f} | "
            f"{100 * result['train_accuracy']:.2f}% | {100 * result['test_accuracy']:.2f}% | "
            f"{result['train_seconds']:.1f} |"
        )
    return "\n".join(lines)


def plot_results(results: list[dict[str, Any]], title: str, path: Path) -> str | None:
    """Training loss and test accuracy per epoch, one line per run; a note instead when matplotlib is missing."""
    try:
        from viz.plots import plot_experiment
    except ModuleNotFoundError as error:
        if not matplotlib_is_missing(error):
            raise
        return f"note: no plot drawn: matplotlib is not installed; {PLOT_EXTRA_HINT}"
    write_picture(lambda temporary: plot_experiment(results, title, temporary), path)
    return None


def main(argv: list[str] | None = None) -> int:
    examples = "examples:\n" + __doc__.split("\n\n")[1]  # the commands listed at the top of this file
    parser = OneLineParser(
        prog="python -m mnist.experiments",
        description="Small controlled experiments on MNIST, each changing one thing.",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", choices=sorted(EXPERIMENTS), help="the experiment to run")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="run a classic setup instead")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the experiment's, 5 for most)")
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
    parser.add_argument("--data-dir", help="a folder of IDX files (default: the shipped MNIST)")
    parser.add_argument("--out", help="results folder (default runs/experiments/<name>/)")
    args = parser.parse_args(argv)
    if (args.name is None) == (args.preset is None):
        parser.error("give one experiment name or --preset NAME")
    return run_command(lambda: run_and_write(args))


def run_and_write(args: Any) -> int:
    """Check the flags and the results folder, run the experiment, write the table, the JSON and the plot."""
    check_whole("--epochs", args.epochs, 1)
    check_whole("--limit", args.limit, 1)
    check_not_empty("--data-dir", args.data_dir, "a folder path")
    check_data_dir("--data-dir", args.data_dir)
    check_not_empty("--out", args.out, "a folder")
    name = args.name or args.preset
    experiment = EXPERIMENTS[name] if args.name else PRESETS[name]
    epochs = args.epochs if args.epochs is not None else experiment.epochs
    out_dir = Path(args.out) if args.out is not None else Path("runs") / "experiments" / name
    folder = RunFolder.open(out_dir, "--out")
    print(experiment.question)
    try:
        results = run_experiment(experiment, epochs, args.limit, args.data_dir)
    except KeyboardInterrupt:
        folder.abandon()
        report("interrupted; no results written")
        return EXIT_INTERRUPTED
    except BaseException:
        folder.abandon()
        raise
    images = f"first {args.limit} training images" if args.limit else "all 60000"
    settings = f"{epochs} epoch{'s' if epochs != 1 else ''}, {images}"
    table = markdown_table(results)
    text = f"## {name}: {experiment.question}\n\n{settings}\n\n{table}\n"
    write_text(out_dir / "results.md", text)
    write_json(out_dir / "results.json", {"name": name, "question": experiment.question, "results": results})
    note = plot_results(results, f"{name}: {settings}", out_dir / f"{name}.png")
    folder.release()
    print()
    print(text)
    if note:
        print(note, file=sys.stderr)
    print(f"written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
