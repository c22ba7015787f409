"""python -m viz: draw a program's graph and step through its backpropagation.

    python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out out
        -> out/frame-000.svg ... and out/index.html (open it; step with the arrow keys)
    python -m viz "z = w*x + b; p = sigmoid(z); L = -log(p)" --values w=0.5,x=2,b=-1 --out out
    python -m viz "z = W@x + b; L = -log_softmax(z)[1]" --values "W=[[1,2],[3,4],[5,6]],x=[1,-1],b=[0,0,0]"
    python -m viz "h = tanh(w*x + b); E = (h - t)**2" --values w=0.5,b=0,x=2,t=1 --constants x,t
        -> x (the data) and t (the label) are constants: no gradient, drawn grey as data
    python -m viz "-a*b" --values a=2,b=3          a leading minus needs no '--' (see below)
    python -m viz "a*b + c" --values a=2,b=-3,c=10 --graph-only --out out      -> out/graph.svg, .png
    python -m viz "sin(x) * x" --values x=1 --second-order --out out           -> the graph of ∂f/∂x
    python -m viz "p = sigmoid(w*x); L = -log(p)" --values w=1,x=2 --worksheet --out out
        -> out/worksheet.pdf, A4 landscape: page 1 values and empty gradient boxes, page 2 the answers
    python -m viz "a*b + c" --values a=2,b=-3,c=10 --forward --wrt a --out out  -> forward mode, as the page
    python -m viz --mnist --out out                                            -> the MNIST MLP, by layer

Every input gets a gradient unless --constants names it (a comma-separated list of input names:
the data and the labels), as requires_grad=False does in Python. The language of EXPR is in
viz/expression.py. An argument that starts with a single '-' and is
neither -h nor a plain number ("-a*b", "-(x+1)") is taken as EXPR: argparse alone would read it as
an unknown option.

A new page (index.html) replaces the walk of an earlier run into the same --out: the frame files
(frame-NNN.svg) that run left and this one did not write are removed; no other file is touched.

Every flag is checked before any work starts, and the output folder is created and tried before
anything is drawn. Files are written into a hidden folder inside --out and moved into place one
by one (fsync, then os.replace), so a full disk or a Ctrl-C never leaves a half-written page.

Exit codes: 0 done; 1 the files were written but standard output could not be (a full disk: one
line says so); 2 a mistake in the command, or an output folder that cannot be written (one line
says which flag, what was expected and what was got); 3 Graphviz missing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.system import available_memory

from .backprop import backprop_frames
from .expression import ExpressionError, Program, build, shorten
from .forward import write_forward_page
from .graph import draw_graph, graph_structure
from .modules import trace_modules
from .render import GraphvizNotFoundError, dot_source_to_file, dot_source_to_files
from .stepper import export_stepper

EXIT_USAGE = 2
EXIT_NO_GRAPHVIZ = 3
PROG = "python -m viz"
MNIST_BYTES_PER_SAMPLE = 20_000  # measured peak ~17 KB per sample (image, activations, gradients)
UNKNOWN_MEMORY = 8 * 2**30  # what --batch-size is checked against where the system does not say
LARGEST_SEED = 2**64 - 1  # as torch.manual_seed
MAX_SECOND_ORDER_OPS = 60  # --second-order draws a gradient's graph of at most this many ops (a lesson's: 10-30)


class UsageError(ValueError):
    """A bad flag: the message starts with the flag's name."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (the flag, what was expected, what was got), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole_number(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from minimum to maximum."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {minimum} to {maximum}, got {shorten(text)!r}"
            )
        return number

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG,
        description="Draw the computation graph of a formula and backpropagation through it, step by step.",
        epilog='example: python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out out. '
        'An EXPR that starts with a minus ("-a*b") needs no "--".',
    )
    parser.add_argument(
        "expression",
        nargs="?",
        metavar="EXPR",
        help="a formula, or statements separated by ';' or newlines, e.g. \"z = w*x + b; L = -log(sigmoid(z))\": "
        "names, numbers, [vectors], + - * / ** @, x[1] and exp log sqrt tanh sigmoid relu sin cos abs "
        "sum mean softmax log_softmax dot",
    )
    parser.add_argument("--values", default=None, help="a value for every input name, e.g. a=2,b=-3,x=[1,2,3]")
    parser.add_argument(
        "--constants",
        metavar="NAMES",
        default=None,
        help="inputs that are data, not parameters, e.g. x,t: no gradient, drawn as constants (requires_grad=False)",
    )
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
    mode.add_argument(
        "--worksheet",
        action="store_true",
        help="write worksheet.pdf: the forward graph with values and empty gradient boxes, then a page of answers",
    )
    mode.add_argument("--mnist", action="store_true", help="draw the MNIST MLP (784-128-10) for one small batch")
    mode.add_argument(
        "--forward", action="store_true", help="step through forward mode: tangents d(node)/d(WRT) flow with the values"
    )
    parser.add_argument("--wrt", metavar="NAME", help="with --forward: the input that moves (tangent 1, the others 0)")
    parser.add_argument(
        "--batch-size", type=whole_number(1, 10**12), default=None, help="batch size for --mnist (default: 4)"
    )
    parser.add_argument("--expand-modules", action="store_true", help="with --mnist: draw every op inside each layer")
    parser.add_argument(
        "--seed", type=whole_number(0, LARGEST_SEED), default=None, help="random seed for --mnist (default: 0)"
    )
    return parser


_PLAIN_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def expression_behind_double_dash(argv: Sequence[str]) -> list[str]:
    """Move a leading-minus EXPR ("-a*b") behind '--', where argparse reads it as EXPR.

    An argument that starts with a single '-' and is not -h, '-' or a plain number (a value such
    as --seed -1, which argparse handles itself) would be read as an unknown option.
    """
    argv = list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    for position, argument in enumerate(argv[:end]):
        if argument.startswith("-") and not argument.startswith("--") and argument not in ("-", "-h"):
            if not _PLAIN_NUMBER.match(argument):
                del argv[position]
                if "--" not in argv:
                    return [*argv, "--", argument]
                argv.insert(argv.index("--") + 1, argument)
                return argv
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(expression_behind_double_dash(sys.argv[1:] if argv is None else argv))
    try:
        check_mode_flags(args)
        program = None
        if not args.mnist:
            constants = parse_constants(args.constants)
            program = build(args.expression, args.values, require_scalar=not args.graph_only, constants=constants)
            if not program.leaves and program.constants:
                raise UsageError(
                    f"--constants: every input is a constant ({', '.join(program.constants)}), so nothing has a "
                    "gradient; leave the parameters out of the list"
                )
            if not program.leaves:
                raise ExpressionError(
                    "the expression has no names, so there is nothing to differentiate", args.expression, 0
                )
            if args.second_order:
                second_order_roots(program)  # refused before anything is written
            if args.forward and args.wrt in program.constants:
                parameters = ", ".join(program.leaves)
                raise UsageError(f"--wrt: {args.wrt} is a constant (--constants); expected one of {parameters}")
            if args.forward and args.wrt not in program.leaves:
                raise UsageError(
                    f"--wrt: expected one of the expression's names ({', '.join(program.leaves)}), "
                    f"got {shorten(args.wrt)!r}"
                )
        out_dir = prepare_out_dir(args.out)
        with staged_writes(out_dir) as staging:
            if program is None:
                draw_mnist(staging, args.batch_size, args.seed, collapse=not args.expand_modules)
            else:
                run_program(
                    program,
                    staging,
                    args.graph_only,
                    args.second_order,
                    args.worksheet,
                    predict=args.predict,
                    forward_wrt=args.wrt if args.forward else None,
                )
            written = [out_dir / path.name for path in sorted(staging.iterdir())]
        remove_stale_frames(out_dir, written)
    except ExpressionError as error:
        print(error.pretty(), file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except GraphvizNotFoundError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_NO_GRAPHVIZ
    except OSError as error:
        where = shorten(str(Path(args.out) / Path(error.filename).name if error.filename else args.out), 80)
        print(f"{PROG}: error: --out: could not write {where}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no half-written file was left in {shorten(args.out, 80)}", file=sys.stderr)
        return 130
    for path in written:
        print(f"wrote {path}")
    return 0


def parse_constants(text: str | None) -> list[str]:
    """--constants: "x,t" -> ["x", "t"]; each must be a name (whether it is an input is checked later)."""
    if text is None:
        return []
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if not name.isidentifier():
            raise UsageError(f"--constants: expected input names separated by commas, e.g. x,t, got {shorten(text)!r}")
    return names


def check_mode_flags(args: argparse.Namespace) -> None:
    """Refuse flags the chosen mode would ignore, and sizes that cannot fit in memory."""
    if args.mnist:
        if args.expression is not None:
            raise UsageError(f"--mnist draws the MNIST MLP and takes no EXPR, got {shorten(args.expression)!r}")
        if args.values is not None:
            raise UsageError("--values: only used with an EXPR, not with --mnist")
        if args.constants is not None:
            raise UsageError("--constants: only used with an EXPR, not with --mnist")
        args.seed = 0 if args.seed is None else args.seed
        args.batch_size = 4 if args.batch_size is None else args.batch_size
        check_batch_fits(args.batch_size)
        return
    for flag, value in (("--seed", args.seed), ("--batch-size", args.batch_size)):
        if value is not None:
            raise UsageError(f"{flag}: only used with --mnist, got {flag} {value} without it")
    if args.expand_modules:
        raise UsageError("--expand-modules: only used with --mnist")
    if args.expression is None:
        raise UsageError('EXPR: give an expression, e.g. python -m viz "a*b + c" --values a=2,b=-3,c=10 (or --mnist)')
    if args.forward and args.wrt is None:
        raise UsageError("--forward: needs --wrt NAME, the input that moves (tangent 1, the others 0)")
    if args.wrt is not None and not args.forward:
        raise UsageError(f"--wrt: only used with --forward, got --wrt {shorten(args.wrt)} without it")


def check_batch_fits(batch_size: int) -> None:
    """--batch-size: refuse a batch whose tensors would not fit in the memory that is free."""
    needed = batch_size * MNIST_BYTES_PER_SAMPLE
    free = available_memory()
    if free is None:  # the system does not say: assume a small machine
        free = UNKNOWN_MEMORY
    if needed > free // 2:
        raise UsageError(
            f"--batch-size: {batch_size} images need about {needed / 1e9:.3g} GB of memory "
            f"({MNIST_BYTES_PER_SAMPLE // 1000} KB each), more than half of the {free / 1e9:.3g} GB free; "
            f"use at most {free // 2 // MNIST_BYTES_PER_SAMPLE} (a few are enough for the picture)"
        )


def prepare_out_dir(text: str) -> Path:
    """--out: create the folder if needed and make sure a file can be written into it."""
    if not text.strip():
        raise UsageError(f"--out: expected a folder name, got {text!r}")
    out_dir = Path(text)
    shown = shorten(text, 80)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(f"--out: expected a folder, got {shown}, which is not a folder")
        out_dir.mkdir(parents=True, exist_ok=True)
    except UsageError:
        raise
    except OSError as error:
        raise UsageError(f"--out: cannot create the folder {shown}: {error.strerror or error}") from None
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".viz-probe-", dir=out_dir)
        os.close(descriptor)
        os.remove(probe)
    except OSError as error:
        raise UsageError(f"--out: cannot write into {shown}: {error.strerror or error}") from None
    return out_dir


STAGING_PREFIX = ".viz-partial-"


@contextlib.contextmanager
def staged_writes(out_dir: Path) -> Iterator[Path]:
    """A hidden folder inside ``out_dir`` to write into. On success every file in it is flushed to
    disk (fsync) and moved into ``out_dir`` (os.replace, atomic); on any error, or Ctrl-C, the
    folder is removed, so ``out_dir`` never holds a half-written file. Folders left by a run that
    was killed (its process id is in the name) are removed first."""
    remove_stale_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        yield staging
        for path in sorted(staging.iterdir()):
            fsync(path)
        for path in sorted(staging.iterdir()):
            target = out_dir / path.name
            if path.is_dir() and target.is_dir():  # a folder of pictures is replaced as a whole
                shutil.rmtree(target)
            os.replace(path, target)
        fsync(out_dir)  # the renames themselves
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_FRAME_FILE = re.compile(r"frame-\d{3,}\.svg")


def remove_stale_frames(out_dir: Path, written: Sequence[Path]) -> None:
    """A new index.html replaces the whole walk: remove the frame files (frame-NNN.svg) an earlier
    run left in ``out_dir`` that this one did not write. No other file is touched."""
    if out_dir / "index.html" not in written:
        return
    for path in out_dir.iterdir():
        if _FRAME_FILE.fullmatch(path.name) and path not in written and path.is_file():
            path.unlink()


def fsync(path: Path) -> None:
    """Flush a file's (or a folder's) data to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_stale_staging(out_dir: Path) -> None:
    """Remove the staging folders of runs that no longer exist (killed with kill -9, say)."""
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        pid_text = folder.name[len(STAGING_PREFIX) :].split("-")[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):
            pass  # alive (another user's), or not a process id: leave it


def run_program(
    program: Program,
    out_dir: Path,
    graph_only: bool,
    second_order: bool,
    worksheet: bool,
    predict: bool = False,
    forward_wrt: str | None = None,
) -> None:
    """Draw the program into ``out_dir``: the stepper (backward, or forward mode with respect to
    ``forward_wrt``), the graph, the second-order graph or a worksheet."""
    title = "; ".join(program.statements)
    if forward_wrt is not None:
        write_forward_page(program, forward_wrt, out_dir, predict)
    elif graph_only:
        graph = draw_graph(program.output, show_grads=False, title=title)
        dot_source_to_files(graph.source, [out_dir / "graph.svg", out_dir / "graph.png"])
    elif second_order:
        draw_second_order(program, out_dir, title)
    elif worksheet:
        from .worksheet import write_worksheet  # imported here: only the worksheet needs matplotlib

        write_worksheet(program, out_dir)
    else:
        frames = backprop_frames(program.output)
        heading = f"Backpropagation through {program.statements[-1]}"
        export_stepper(frames, out_dir, title=heading, predict=predict, program=program.statements)


def second_order_roots(program: Program) -> list[tg.Tensor]:
    """The gradients of the output with respect to each input, as graphs (create_graph=True);
    UsageError when there is nothing to draw or too much (more than MAX_SECOND_ORDER_OPS ops)."""
    leaves = list(program.leaves.values())
    gradients = tg.grad(program.output, leaves, create_graph=True)
    for leaf, gradient in zip(leaves, gradients):
        assert gradient is not None, "tg.grad raises for an unused input"
        gradient.name = f"∂{program.output_name}/∂{leaf.name}"
    roots = [gradient for gradient in gradients if gradient is not None and gradient.requires_grad]
    title = "; ".join(program.statements)
    if not roots:
        raise ValueError(
            f"EXPR: the gradient of {shorten(title, 60)!r} is constant (it does not depend on the inputs), "
            "so it has no graph to draw"
        )
    ops = len(graph_structure(roots).ops)
    if ops > MAX_SECOND_ORDER_OPS:
        raise UsageError(
            f"--second-order: the graph that computes the gradient has {ops} ops; at most {MAX_SECOND_ORDER_OPS} "
            "are drawn (a picture of more is not readable, and Graphviz takes minutes on it): draw a shorter program"
        )
    return roots


def draw_second_order(program: Program, out_dir: Path, title: str) -> None:
    """The graph that backward(create_graph=True) records: the ops that compute the gradient."""
    roots = second_order_roots(program)
    graph = draw_graph(roots, show_grads=False, title=f"backprop is itself a graph: the ops that compute ∇ of {title}")
    dot_source_to_files(graph.source, [out_dir / "second-order.svg", out_dir / "second-order.png"])


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
