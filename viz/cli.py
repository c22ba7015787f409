"""python -m viz: draw a formula's graph and step through its backpropagation.

    python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out out
        -> out/frame-000.svg ... and out/index.html (open it; step with the arrow keys)
    python -m viz "a*b + c" --values a=2,b=-3,c=10 --graph-only --out out      -> out/graph.svg, .png
    python -m viz "sin(x) * x" --values x=1 --second-order --out out           -> the graph of ∂f/∂x
    python -m viz "a*b + c" --values a=2,b=-3,c=10 --forward --wrt a --out out  -> forward mode, as the page
    python -m viz --mnist --out out                                            -> the MNIST MLP, by layer

Exit codes: 0 done, 2 a mistake in the command (the message says what and where), 3 Graphviz
missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import tinygrad_edu as tg

from .backprop import backprop_frames
from .expression import ExpressionError, evaluate, make_leaves, parse, parse_values
from .forward import run_forward_expression
from .graph import draw_graph
from .modules import trace_modules
from .render import GraphvizNotFoundError, dot_source_to_file
from .stepper import export_stepper

EXIT_USAGE = 2
EXIT_NO_GRAPHVIZ = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m viz",
        description="Draw the computation graph of a formula and backpropagation through it, step by step.",
        epilog='example: python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out out',
    )
    parser.add_argument(
        "expression",
        nargs="?",
        help="a formula with names, numbers, + - * / **, parentheses and exp log sqrt tanh sigmoid relu sin cos",
    )
    parser.add_argument("--values", default="", help="a value for every name, e.g. a=2,b=-3,c=10")
    parser.add_argument("--out", default="viz-out", help="folder to write into (default: viz-out)")
    parser.add_argument(
        "--predict", action="store_true", help="open the player in predict mode: each step asks before it tells"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--graph-only", action="store_true", help="only draw the forward graph (graph.svg, graph.png)")
    mode.add_argument(
        "--second-order",
        action="store_true",
        help="draw the graph that computes the gradient (made with create_graph=True): backprop is itself a graph",
    )
    mode.add_argument("--mnist", action="store_true", help="draw the MNIST MLP (784-128-10) for one small batch")
    mode.add_argument(
        "--forward", action="store_true", help="step through forward mode: tangents d(node)/d(WRT) flow with the values"
    )
    parser.add_argument("--wrt", metavar="NAME", help="with --forward: the input that moves (tangent 1, the others 0)")
    parser.add_argument("--batch-size", type=int, default=4, help="batch size for --mnist (default: 4)")
    parser.add_argument("--expand-modules", action="store_true", help="with --mnist: draw every op inside each layer")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --mnist (default: 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    try:
        if args.mnist:
            written = draw_mnist(out_dir, args.batch_size, args.seed, collapse=not args.expand_modules)
        elif args.forward:
            written = run_forward_expression(args.expression, args.values, args.wrt, out_dir, args.predict)
        else:
            if args.expression is None:
                parser.error('give an expression, e.g. python -m viz "a*b + c" --values a=2,b=-3,c=10 (or --mnist)')
            written = run_expression(
                args.expression, args.values, out_dir, args.graph_only, args.second_order, predict=args.predict
            )
    except ExpressionError as error:
        print(error.pretty(), file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except GraphvizNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NO_GRAPHVIZ
    for path in written:
        print(f"wrote {path}")
    return 0


def run_expression(
    expression: str, values_text: str, out_dir: Path, graph_only: bool, second_order: bool, predict: bool = False
) -> list[Path]:
    """Parse, build in float64 with named leaves, and draw; return the files written."""
    values = parse_values(values_text)
    tree = parse(expression)
    leaves = make_leaves(expression, values)
    if not leaves:
        raise ExpressionError("the expression has no names, so there is nothing to differentiate", expression, 0)
    result = evaluate(tree, leaves)
    result.name = "f"
    if graph_only:
        graph = draw_graph(result, show_grads=False, title=f"f = {expression}")
        return [
            dot_source_to_file(graph.source, out_dir / "graph.svg"),
            dot_source_to_file(graph.source, out_dir / "graph.png"),
        ]
    if second_order:
        gradients = tg.grad(result, list(leaves.values()), create_graph=True)
        for name, gradient in zip(leaves, gradients):
            gradient.name = f"∂f/∂{name}"
        roots = [gradient for gradient in gradients if gradient.requires_grad]
        if not roots:
            raise ValueError(
                f"the gradient of {expression!r} is constant (it does not depend on the inputs), "
                "so it has no graph to draw"
            )
        title = f"backprop is itself a graph: the ops that compute ∇f for f = {expression}"
        graph = draw_graph(roots, show_grads=False, title=title)
        return [
            dot_source_to_file(graph.source, out_dir / "second-order.svg"),
            dot_source_to_file(graph.source, out_dir / "second-order.png"),
        ]
    frames = backprop_frames(result)
    return [export_stepper(frames, out_dir, title=f"Backpropagation through f = {expression}", predict=predict)]


def draw_mnist(out_dir: Path, batch_size: int, seed: int, collapse: bool = True) -> list[Path]:
    """The 784-128-10 MLP with random weights on a random batch, one box per layer."""
    if batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {batch_size}")
    from tinygrad_edu import nn

    generator = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(784, 128, generator=generator), nn.ReLU(), nn.Linear(128, 10, generator=generator))
    for name, parameter in model.named_parameters():
        parameter.name = name
    images = tg.Tensor(generator.uniform(0, 1, (batch_size, 784)).astype(np.float32), name="images")
    labels = generator.integers(0, 10, batch_size)
    with trace_modules(model) as trace:
        logits = model(images)
    logits.name = "logits"
    loss = nn.functional.cross_entropy(logits, labels)
    loss.name = "loss"
    loss.backward()
    graph = draw_graph(loss, modules=trace, collapse_modules=collapse, title="MNIST MLP 784-128-10, one batch")
    return [
        dot_source_to_file(graph.source, out_dir / "mnist.svg"),
        dot_source_to_file(graph.source, out_dir / "mnist.png"),
    ]
