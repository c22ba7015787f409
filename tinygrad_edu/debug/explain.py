"""explain: the multivariate chain rule made concrete, one path at a time.

For an output y and a tensor x it depends on, every path from y back to x through the
recorded graph contributes the product of the local derivatives along it, and the
gradient is the sum over the paths:

    ∂y/∂x = Σ over paths p   Π over edges (child ← parent) of p   ∂child/∂parent

    a = tg.Tensor(3.0, requires_grad=True, name="a")
    b = a * a
    c = b * a + a
    tg.explain(c, a)        # prints 4 paths: 1·3·3 + 1·3·3 + 1·9 + 1 = 28 = ∂c/∂a

Each local derivative is computed by the op's own backward, called on that single op with
an upstream gradient of 1 (so what is shown is exactly what the engine uses), and the sum
over paths is compared with ``tg.grad(y, x, retain_graph=True)``, computed independently.

Tensors: choose one element of a non-scalar output with ``index=``. A path whose every op
is elementwise at that element (same shape in and out, and the element depends only on
the element at the same position) is shown with a number per edge, for the leaf element
at the same ``index``. Any other path (a sum, a matmul, a broadcast...) is shown by what
it sends back to the whole leaf: its contribution, a tensor shaped like the leaf (the
product of the Jacobians along the path, applied to the one-hot upstream gradient).

Matrices: ``element=(i, j)`` follows one element of the leaf instead, element by element,
so a matrix product is plain arithmetic again: the paths from W[i, j] to the loss, one or
more per batch row, each with its numbers, and grouped by the elements W[i, j] feeds
(∂L/∂W[i, j] = Σ_b X[b, i] · ∂L/∂h[b, j]: the matrix chain rule). See ``element_paths``.

Big graphs: at most ``max_paths`` paths are listed (the rest are counted, not shown), and
the gradient is also shown grouped by node: one term per use of the leaf (per op that
takes it as an input), which always adds up to the gradient.

Factors of exactly 1 (an addition, a subtraction's first input) are left out of the
products, and float32 values are shown as float32 prints them (0.3295, not the
0.3294999897480011 of its float64 image).

The graph must still be there: call explain before backward(), or after
backward(retain_graph=True).

Drawing a path: each ``Path`` has ``.tensors`` (output ... leaf) and ``.contexts`` (the ops),
which ``viz`` can highlight with its own node ids:

    structure = viz.graph.graph_structure(y)
    picture = viz.draw_graph(y)
    for tensor in explanation.paths[0].tensors:
        picture.node(structure.value_id(tensor), color="red", penwidth="3")
    for ctx in explanation.paths[0].contexts:
        picture.node(structure.op_id(ctx), color="red", penwidth="3")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.autograd import call_backward, grad, topological_order
from ..core.broadcast import unbroadcast
from ..core.tensor import Context, Tensor
from ..errors import BackwardError

if TYPE_CHECKING:
    from .element_paths import ElementExplanation


@dataclass
class Edge:
    """One step back along a path: ``child`` was made by ``ctx`` from ``parent`` (input ``position``).

    local_derivative  ∂child/∂parent as a number, when it is one (scalar or elementwise path);
                      None otherwise
    """

    child: Tensor
    ctx: Context
    position: int
    parent: Tensor
    local_derivative: float | None = None


@dataclass
class Path:
    """One path from the output back to the leaf.

    edges         from the output's op down to the op that took the leaf, in that order
    tensors       the tensors along the path: [output, ..., leaf]   (for viz: highlight these)
    contexts      the ops (graph nodes) along the path, output side first   (and these)
    elementwise   True when every edge has a number as its local derivative
    contribution  what this path sends to the leaf: an array shaped like the leaf. For an
                  elementwise path it is the product of the local derivatives, placed at the
                  leaf element (zero elsewhere)
    """

    edges: list[Edge]
    contribution: np.ndarray
    elementwise: bool

    @property
    def tensors(self) -> list[Tensor]:
        return [self.edges[0].child] + [edge.parent for edge in self.edges]

    @property
    def contexts(self) -> list[Context]:
        return [edge.ctx for edge in self.edges]

    @property
    def product(self) -> float | None:
        """The product of the local derivatives (None unless elementwise)."""
        if not self.elementwise:
            return None
        result = 1.0
        for edge in self.edges:
            assert edge.local_derivative is not None, "an elementwise path has a number on every edge"
            result *= edge.local_derivative
        return result


@dataclass
class NodeContribution:
    """The share of ∂y/∂leaf that arrives through one use of the leaf.

    ctx, position   the op that takes the leaf, and as which input
    upstream        ∂y/∂(that op's output), from the engine
    contribution    what the op sends to the leaf: its backward applied to ``upstream``
    """

    ctx: Context
    position: int
    output: Tensor
    upstream: np.ndarray
    contribution: np.ndarray


@dataclass
class Explanation:
    """What ``explain`` found. ``str(explanation)`` is the printed text.

    paths             the listed paths (at most max_paths), each with ``.tensors`` and
                      ``.contexts`` for viz to highlight
    total_paths       how many paths there are in all
    omitted           how many were not listed (total_paths − len(paths))
    path_sum          the sum of the listed paths' contributions (the full sum when none omitted)
    by_node           the gradient grouped by the uses of the leaf (always complete)
    gradient          ∂y/∂leaf from tg.grad, computed independently
    matches           the full sum (of the paths, or by node when paths were omitted) equals gradient
    """

    output: Tensor
    leaf: Tensor
    index: tuple[int, ...] | None
    output_name: str
    leaf_name: str
    paths: list[Path]
    total_paths: int
    path_sum: np.ndarray
    by_node: list[NodeContribution]
    gradient: np.ndarray
    names: dict[int, str] = field(repr=False, default_factory=dict)

    @property
    def omitted(self) -> int:
        return self.total_paths - len(self.paths)

    @property
    def matches(self) -> bool:
        total = self.path_sum if self.omitted == 0 else sum_of(self.by_node, self.gradient.shape)
        return bool(np.allclose(total, self.gradient, rtol=1e-5, atol=1e-6))

    def name_of(self, tensor: Tensor) -> str:
        return self.names.get(id(tensor), "?")

    def __str__(self) -> str:
        y = self.output_name + ("" if self.index is None else f"[{', '.join(map(str, self.index))}]")
        x = self.leaf_name
        scalar = self.leaf.data.size == 1
        x_element = x if scalar or self.index is None else f"{x}[{', '.join(map(str, self.index))}]"
        lines = heading(y, x, self.total_paths)
        for number, path in enumerate(self.paths, start=1):
            lines.append(f"  path {number}: {self.describe_path(path)}")
            if path.elementwise:
                symbols = " · ".join(self.link_symbol(edge) for edge in path.edges)
                lines.append(f"          {symbols}")
                factors = [edge.local_derivative for edge in path.edges if edge.local_derivative is not None]
                lines.append(f"          = {product_text(factors)}")
            else:
                lines.append("          (not elementwise: its contribution to the whole of " + x + ")")
                lines.append("          = " + format_array(path.contribution, indent=12))
        if self.omitted:
            lines.append(
                f"  ... {self.omitted} more paths omitted (max_paths={len(self.paths)}); grouped by node below"
            )
        gradient_text = format_array(self.gradient, indent=4)
        if self.omitted == 0:
            if all(path.elementwise for path in self.paths):
                terms = sum_text([path.product for path in self.paths if path.product is not None])
                element = self.index if self.index is not None and not scalar else ()
                total = format_number(self.path_sum[element] if self.path_sum.ndim else self.path_sum)
                adding_up = f"{terms} = {total}" if len(self.paths) > 1 else total
                lines.append(f"  sum of the paths: ∂{y}/∂{x_element} = {adding_up}")
            else:
                lines.append(f"  sum of the paths: ∂{y}/∂{x} = " + format_array(self.path_sum, indent=4))
        if self.omitted or len(self.by_node) > 1 and self.total_paths > len(self.by_node):
            lines.append(f"  grouped by node: one term per use of {x} (∂{y}/∂output · ∂output/∂{x})")
            for node in self.by_node:
                where = f"{node.ctx.name} (input {node.position}) -> {self.name_of(node.output)}"
                lines.append(f"    via {where}: " + format_array(node.contribution, indent=8))
        lines += verdict(y, x, gradient_text, self.matches)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Explanation ∂{self.output_name}/∂{self.leaf_name}: {self.total_paths} paths "
            f"({self.omitted} omitted), matches tg.grad: {self.matches}>"
        )

    def link_symbol(self, edge: Edge) -> str:
        """'∂e/∂b' for one link; where the op uses the same tensor in several slots (b·b) the
        link is one slot's share, '∂bb/∂b (1st use)', never the whole ∂bb/∂b."""
        symbol = f"∂{self.name_of(edge.child)}/∂{self.name_of(edge.parent)}"
        slots = [position for position, parent in enumerate(edge.ctx.parents) if parent is edge.parent]
        if len(slots) > 1:
            use = slots.index(edge.position) + 1
            ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(use, f"{use}th")
            symbol += f" ({ordinal} use)"
        return symbol

    def describe_path(self, path: Path) -> str:
        """'c ←Add[0]← t2 ←Mul[0]← b ←Mul[1]← a': the tensors, and each op with the input position."""
        text = self.name_of(path.edges[0].child)
        for edge in path.edges:
            text += f" ←{edge.ctx.name}[{edge.position}]← {self.name_of(edge.parent)}"
        return text


def explain(
    output: Tensor,
    leaf: Tensor,
    index: int | Sequence[int] | None = None,
    element: int | Sequence[int] | None = None,
    max_paths: int = 20,
    show: bool = True,
) -> Explanation | ElementExplanation:
    """Show ∂output/∂leaf as the sum over paths of products of local derivatives.

    output     the tensor to differentiate; a scalar, or give ``index`` to pick one element
    leaf       a tensor the output depends on (a leaf, or any tensor of the graph)
    index      which element of a non-scalar output (an int or a tuple of ints)
    element    which element of the leaf, e.g. element=(i, j) of a weight matrix: the paths are
               then followed element by element (returns an ElementExplanation)
    max_paths  list at most this many paths; the rest are counted, and the gradient is
               also shown grouped by node
    show       print the explanation (it is returned either way)

    Returns an Explanation: ``.paths`` (each with ``.tensors`` and ``.contexts``, for viz
    to highlight), ``.by_node``, ``.gradient``, ``.matches``; ``str()`` is the printed text.
    The graph must not have been freed by backward() (use backward(retain_graph=True)).
    """
    if not isinstance(output, Tensor) or not isinstance(leaf, Tensor):
        raise TypeError(
            f"explain(output, leaf): both must be Tensors, got {type(output).__name__} and {type(leaf).__name__}"
        )
    output_element = _element(output, index)
    if output is leaf:
        raise ValueError("explain: the output is the leaf itself (∂x/∂x = 1); pass a tensor computed from it")
    if not output.requires_grad or not leaf.requires_grad:
        which = "output" if not output.requires_grad else "leaf"
        raise ValueError(
            f"explain: the {which} does not require grad, so there is no graph to explain; create the "
            "inputs with Tensor(data, requires_grad=True) and compute outside no_grad()"
        )
    order = topological_order([output])
    path_counts = _count_paths(order, leaf)
    if path_counts.get(id(output), 0) == 0:
        raise ValueError(
            f"explain: the output (shape {output.shape}) does not depend on this leaf (shape {leaf.shape}) "
            "through the recorded graph; pass a tensor that was used to compute it"
        )
    for tensor in order:
        if tensor.grad_fn is not None and tensor.grad_fn.released:
            raise BackwardError(
                f"explain: the graph was freed by backward() (at {tensor.grad_fn.name}); call explain "
                "before backward(), or use backward(retain_graph=True)"
            )
    names = _names(order)
    if element is not None:
        from .element_paths import explain_element  # it builds on this module's helpers

        leaf_element = _leaf_element(leaf, element)
        index_shown = None if index is None else output_element
        found = explain_element(output, leaf, index_shown, output_element, leaf_element, order, names, max_paths)
        if show:
            print(found)
        return found
    seed = np.zeros(output.shape, dtype=output.dtype)
    seed[output_element] = 1
    paths = _enumerate_paths(output, leaf, path_counts, max_paths, seed, output_element)
    path_sum = np.zeros(leaf.shape, dtype=np.float64)
    for path in paths:
        path_sum = path_sum + path.contribution
    (gradient,) = grad(output, leaf, grad_outputs=Tensor(seed), retain_graph=True)
    assert gradient is not None, "grad() without allow_unused returns a Tensor"
    explanation = Explanation(
        output=output,
        leaf=leaf,
        index=None if index is None else output_element,
        output_name=names[id(output)],
        leaf_name=names[id(leaf)],
        paths=paths,
        total_paths=path_counts[id(output)],
        path_sum=path_sum,
        by_node=_by_node(output, leaf, order, seed),
        gradient=np.asarray(gradient.data, dtype=np.float64),
        names=names,
    )
    if show:
        print(explanation)
    return explanation


# ----- helpers ---------------------------------------------------------------------------------


def _element(output: Tensor, index: int | Sequence[int] | None) -> tuple[int, ...]:
    """The chosen element of the output as a full index tuple (() for a scalar)."""
    if index is None:
        if output.data.size != 1:
            raise ValueError(
                f"explain: the output has shape {output.shape}, not a scalar; pick one element with "
                f"index=, e.g. explain(y, x, index={(0,) * output.ndim}), or explain y.sum()"
            )
        return (0,) * output.ndim
    element = (index,) if isinstance(index, (int, np.integer)) else tuple(index)
    if len(element) != output.ndim or any(not -n <= i < n for i, n in zip(element, output.shape)):
        raise IndexError(f"explain: index {index} does not pick one element of an output of shape {output.shape}")
    return tuple(int(i) % n for i, n in zip(element, output.shape))


def _leaf_element(leaf: Tensor, element: int | Sequence[int]) -> tuple[int, ...]:
    """The chosen element of the leaf as a full index tuple."""
    chosen = (element,) if isinstance(element, (int, np.integer)) else tuple(element)
    if len(chosen) != leaf.ndim or any(not -n <= i < n for i, n in zip(chosen, leaf.shape)):
        raise IndexError(
            f"explain: element={element} does not pick one element of the leaf of shape {leaf.shape}; "
            f"give {leaf.ndim} indices, e.g. element={(0,) * leaf.ndim}"
        )
    return tuple(int(i) % n for i, n in zip(chosen, leaf.shape))


def _count_paths(order: list[Tensor], leaf: Tensor) -> dict[int, int]:
    """How many paths lead from each tensor back to the leaf (parents come first in ``order``)."""
    counts: dict[int, int] = {}
    for tensor in order:
        if tensor is leaf:
            counts[id(tensor)] = 1
        elif tensor.grad_fn is None:
            counts[id(tensor)] = 0
        else:
            counts[id(tensor)] = sum(counts.get(id(parent), 0) for parent in tensor.grad_fn.parents)
    return counts


def _names(order: list[Tensor]) -> dict[int, str]:
    """A label per tensor: its name, else x0, x1... for leaves and t1, t2... for op outputs."""
    names = {}
    leaves = 0
    made = 0
    for tensor in order:
        if tensor.name:
            names[id(tensor)] = tensor.name
        elif tensor.grad_fn is None:
            names[id(tensor)] = f"x{leaves}"
            leaves += 1
        else:
            made += 1
            names[id(tensor)] = f"t{made}"
    return names


def _backward_one(ctx: Context, output: Tensor, upstream: np.ndarray, position: int) -> np.ndarray:
    """What the op sends to its input ``position`` for the given upstream gradient, as an array.

    The op's own backward, called alone (no graph recorded), summed back over broadcast axes.
    """
    parent = ctx.parents[position]
    gradient = call_backward(ctx, output, Tensor(np.asarray(upstream, dtype=output.dtype)))[position]
    if gradient is None:
        return np.zeros(parent.shape, dtype=np.float64)
    if not isinstance(gradient, Tensor):
        gradient = Tensor(np.asarray(gradient))
    gradient = unbroadcast(gradient, parent.shape, ctx.name)
    return np.asarray(gradient.data, dtype=np.float64)


def _local_derivative(
    edge_child: Tensor, ctx: Context, position: int, element: tuple[int, ...], output_shape: tuple[int, ...]
) -> float | None:
    """∂child/∂parent as a number at ``element``, if the op is elementwise there; else None."""
    parent = ctx.parents[position]
    if not (edge_child.shape == parent.shape == output_shape):
        return None
    one_hot = np.zeros(edge_child.shape, dtype=np.float64)
    one_hot[element] = 1
    sent = _backward_one(ctx, edge_child, one_hot, position)
    off_element = sent.copy()
    off_element[element] = 0
    if np.any(off_element != 0):
        return None
    return plain_float(sent[element], parent.dtype)


def _enumerate_paths(
    output: Tensor,
    leaf: Tensor,
    counts: dict[int, int],
    max_paths: int,
    seed: np.ndarray,
    element: tuple[int, ...],
) -> list[Path]:
    """Depth-first over the edges that lead to the leaf, parents in call order; at most max_paths.

    Each stack entry carries the path so far and the gradient arriving at its end, so a
    path's contribution is the product of the Jacobians along it applied to the seed.
    """
    paths: list[Path] = []
    local_cache: dict[tuple[int, int], float | None] = {}
    stack: list[tuple[Tensor, list[Edge], np.ndarray]] = [(output, [], seed.astype(np.float64))]
    while stack and len(paths) < max_paths:
        tensor, edges, arriving = stack.pop()
        if tensor is leaf and edges:
            elementwise = all(edge.local_derivative is not None for edge in edges)
            paths.append(Path(edges=edges, contribution=arriving, elementwise=elementwise))
            continue
        ctx = tensor.grad_fn
        assert ctx is not None, "a path goes back only through tensors an op made"
        children = []
        for position, parent in enumerate(ctx.parents):
            if counts.get(id(parent), 0) == 0:
                continue
            key = (id(ctx), position)
            if key not in local_cache:
                local_cache[key] = _local_derivative(tensor, ctx, position, element, output.shape)
            edge = Edge(tensor, ctx, position, parent, local_cache[key])
            sent = _backward_one(ctx, tensor, arriving, position)
            children.append((parent, edges + [edge], sent))
        stack.extend(reversed(children))  # the first input's paths come first
    return paths


def _by_node(output: Tensor, leaf: Tensor, order: list[Tensor], seed: np.ndarray) -> list[NodeContribution]:
    """One term per use of the leaf: ∂y/∂(op output) from the engine, sent back by the op."""
    uses = []
    for tensor in order:
        if tensor.grad_fn is None or tensor is leaf:
            continue
        for position, parent in enumerate(tensor.grad_fn.parents):
            if parent is leaf:
                uses.append((tensor, position))
    contributions = []
    for tensor, position in uses:
        if tensor is output:
            upstream = seed.astype(np.float64)
        else:
            (upstream_tensor,) = grad(output, tensor, grad_outputs=Tensor(seed), retain_graph=True, allow_unused=True)
            if upstream_tensor is None:
                continue
            upstream = np.asarray(upstream_tensor.data, dtype=np.float64)
        ctx = tensor.grad_fn
        assert ctx is not None, "uses holds only tensors an op made"
        sent = _backward_one(ctx, tensor, upstream, position)
        contributions.append(NodeContribution(ctx, position, tensor, upstream, sent))
    return contributions


def sum_of(by_node: list[NodeContribution], shape: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(shape, dtype=np.float64)
    for node in by_node:
        total = total + node.contribution
    return total


def plain_float(value: Any, dtype: np.dtype) -> float:
    """The value as a Python float that prints as its dtype does: a float32 0.3295 stays 0.3295
    (not 0.3294999897480011, its exact value in float64)."""
    if np.dtype(dtype).itemsize < 8:
        return float(str(np.dtype(dtype).type(value)))
    return float(value)


def heading(y: str, x: str, total_paths: int) -> list[str]:
    """The first two lines of an explanation."""
    plural = "path" if total_paths == 1 else "paths"
    return [
        f"∂{y}/∂{x}: the chain rule over the {total_paths} {plural} from {y} back to {x}",
        "(each path contributes the product of its local derivatives, one per link; they add up)",
    ]


def verdict(y: str, x: str, gradient_text: str, matches: bool) -> list[str]:
    """The last two lines: the engine's gradient, and whether the paths add up to it."""
    agreement = "  they agree ✓" if matches else "  they DISAGREE ✗ (a backward or jvp formula is wrong?)"
    return [f"  tg.grad says:    ∂{y}/∂{x} = {gradient_text}", agreement]


def format_number(value: Any, digits: int = 6, minus: str = "-") -> str:
    """One number, short: up to ``digits`` significant digits, no trailing zeros, never "-0";
    ``minus`` is the sign written (the pictures of viz use the true minus sign "−")."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return f"{float(value) + 0.0:.{digits}g}".replace("-", minus)


def product_text(factors: Sequence[float]) -> str:
    """'0.5 × 1 × (-1.3) = -0.65' for the factors 0.5, 1, -1.3: every link of the chain is shown,
    factors of 1 too, so that the path visibly telescopes."""
    product = 1.0
    for factor in factors:
        product *= factor
    if len(factors) <= 1:
        return format_number(product)
    texts = [format_number(factors[0])] + [f"({format_number(f)})" if f < 0 else format_number(f) for f in factors[1:]]
    return " × ".join(texts) + " = " + format_number(product)


def sum_text(terms: Sequence[float]) -> str:
    """'9 + 9 - 2' for the terms 9, 9, -2."""
    text = format_number(terms[0])
    for term in terms[1:]:
        text += f" - {format_number(-term)}" if term < 0 else f" + {format_number(term)}"
    return text


def format_array(array: np.ndarray, indent: int = 0) -> str:
    if array.size == 1:
        return format_number(array.reshape(()))
    text = np.array2string(np.asarray(array) + 0.0, precision=6, separator=", ", suppress_small=True)
    return text.replace("\n", "\n" + " " * indent)
