"""The chain rule one *element* at a time: every path from W[i, j] to the loss.

``tg.explain(loss, W, element=(i, j))`` lives here. A matrix product mixes whole rows and
columns, so at the level of tensors its path to the loss is one opaque Jacobian. At the
level of elements it is plain arithmetic again: W[i, j] is used by h[b, j] = Σₖ X[b, k]·W[k, j]
for every batch row b, with the local derivative ∂h[b, j]/∂W[i, j] = X[b, i]; from h[b, j]
the paths go on, element by element, to the loss. Each path multiplies its local derivatives,
the paths add up, and grouping them by the element W[i, j] feeds first gives

    ∂L/∂W[i, j] = Σ_b X[b, i] · ∂L/∂h[b, j]       that is    ∂L/∂W = Xᵀ · ∂L/∂h

The walk goes *forward* from W[i, j]: an op's local derivatives for one input element are one
column of its Jacobian, which is exactly what its ``jvp`` gives for a one-hot tangent (an op
without jvp falls back to its backward, one output element at a time). A branch whose local
derivative is 0 (a ReLU that is off, a zero activation in a matrix product) adds nothing: it
is counted and named, not followed. (Which elements depend on W[i, j] at all is found with a
NaN tangent, which survives multiplication by 0.)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..core.autograd import grad, no_grad
from ..core.forward_mode import op_jvp
from ..core.tensor import Context, Tensor
from .explain import _backward_one, format_number, heading, plain_float, product_text, sum_text, verdict

MAX_ELEMENTS = 200_000  # element nodes visited before explain gives up (pick a smaller batch)

Node = tuple[int, int]  # (id of the tensor, flat index of the element)


@dataclass
class ElementEdge:
    """One step along an element path: child[child_index] was made by ``ctx`` from parent[parent_index]."""

    child: Tensor
    child_index: tuple[int, ...]
    ctx: Context
    position: int
    parent: Tensor
    parent_index: tuple[int, ...]
    local_derivative: float


@dataclass
class ElementPath:
    """One path from the output element back to the leaf element (``edges``: output side first)."""

    edges: list[ElementEdge]

    @property
    def tensors(self) -> list[Tensor]:
        return [self.edges[0].child] + [edge.parent for edge in self.edges]

    @property
    def contexts(self) -> list[Context]:
        return [edge.ctx for edge in self.edges]

    @property
    def product(self) -> float:
        result = 1.0
        for edge in self.edges:
            result *= edge.local_derivative
        return result


@dataclass
class ElementGroup:
    """All the paths that leave the leaf element through one element it feeds directly.

    contribution = upstream (∂output/∂that element, from the engine) × local_derivative
    """

    tensor: Tensor
    index: tuple[int, ...]
    ctx: Context
    local_derivative: float
    upstream: float
    paths: int

    @property
    def contribution(self) -> float:
        return self.upstream * self.local_derivative


@dataclass
class ElementExplanation:
    """What ``explain(..., element=)`` found; ``str()`` is the printed text.

    paths        the listed paths (at most max_paths), each with ``.tensors``/``.contexts`` for viz
    total_paths  how many paths there are; ``omitted`` of them are not listed
    groups       the gradient grouped by the elements the leaf element feeds (always complete)
    stopped      (tensor, index, op): elements that depend on the leaf element through a local
                 derivative of 0, so their branches add nothing
    gradient     ∂output/∂leaf[element] from tg.grad, computed independently
    """

    output: Tensor
    leaf: Tensor
    index: tuple[int, ...] | None
    element: tuple[int, ...]
    paths: list[ElementPath]
    total_paths: int
    groups: list[ElementGroup]
    stopped: list[tuple[Tensor, tuple[int, ...], Context]]
    gradient: float
    names: dict[int, str] = field(repr=False, default_factory=dict)

    @property
    def omitted(self) -> int:
        return self.total_paths - len(self.paths)

    @property
    def path_sum(self) -> float:
        return sum(path.product for path in self.paths)

    @property
    def matches(self) -> bool:
        total = self.path_sum if self.omitted == 0 else sum(group.contribution for group in self.groups)
        return bool(np.isclose(total, self.gradient, rtol=1e-5, atol=1e-6))

    def label(self, tensor: Tensor, index: tuple[int, ...] | None) -> str:
        name = self.names.get(id(tensor), "?")
        return name if index is None or tensor.data.size == 1 else f"{name}[{', '.join(map(str, index))}]"

    def __str__(self) -> str:
        y = self.label(self.output, self.index)
        x = self.label(self.leaf, self.element)
        lines = heading(y, x, self.total_paths)
        for number, path in enumerate(self.paths, start=1):
            lines.append(f"  path {number}: {self.describe_path(path)}")
            lines.append(f"          = {product_text([edge.local_derivative for edge in path.edges])}")
        if self.omitted:
            lines.append(
                f"  ... {self.omitted} more paths omitted (max_paths={len(self.paths)}); grouped by node below"
            )
        elif len(self.paths) > 1:
            terms = sum_text([path.product for path in self.paths])
            terms = f"{terms} = " if len(self.paths) <= 12 else ""
            lines.append(f"  sum of the paths: ∂{y}/∂{x} = {terms}{format_number(self.path_sum)}")
        if self.stopped:
            shown = ", ".join(f"{self.label(t, i)} ({ctx.name})" for t, i, ctx in self.stopped[:4])
            more = f" and {len(self.stopped) - 4} more" if len(self.stopped) > 4 else ""
            count = len(self.stopped)
            lines.append(f"  {count} more branch(es) pass a local derivative of 0 and add nothing, into {shown}{more}")
        if self.omitted or self.total_paths > len(self.groups) > 1:
            lines.append(
                f"  grouped by node: one term per element {x} feeds directly, "
                f"∂{y}/∂(that element) × ∂(that element)/∂{x}"
            )
            for group in self.groups[: max(len(self.paths), 1)]:
                via = self.label(group.tensor, group.index)
                paths = f"{group.paths} paths" if group.paths != 1 else "1 path"
                terms = product_text([group.upstream, group.local_derivative])
                lines.append(f"    via {via} ({group.ctx.name}, {paths}): {terms}")
            if len(self.groups) > len(self.paths):
                lines.append(f"    ... {len(self.groups) - len(self.paths)} more elements")
            total = sum(group.contribution for group in self.groups)
            lines.append(f"    sum over the {len(self.groups)} elements: {format_number(total)}")
        lines += verdict(y, x, format_number(self.gradient), self.matches)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<ElementExplanation ∂{self.label(self.output, self.index)}/∂{self.label(self.leaf, self.element)}: "
            f"{self.total_paths} paths ({self.omitted} omitted), matches tg.grad: {self.matches}>"
        )

    def describe_path(self, path: ElementPath) -> str:
        """'loss ←CrossEntropy← logits[0, 1] ←MatMul← h[0, 2] ←MatMul← W[1, 2]'"""
        text = self.label(path.edges[0].child, path.edges[0].child_index)
        for edge in path.edges:
            text += f" ←{edge.ctx.name}← {self.label(edge.parent, edge.parent_index)}"
        return text


def explain_element(
    output: Tensor,
    leaf: Tensor,
    index: tuple[int, ...] | None,
    output_element: tuple[int, ...],
    element: tuple[int, ...],
    order: list[Tensor],
    names: dict[int, str],
    max_paths: int,
) -> ElementExplanation:
    """Enumerate the element paths from leaf[element] to output[output_element] (see the module docstring)."""
    walk = _ElementWalk(order, output, output_element)
    start: Node = (id(leaf), _flat(element, leaf))
    total = walk.count_paths(start)
    seed = np.zeros(output.shape, dtype=output.dtype)
    seed[output_element] = 1
    upstream = walk.upstream_gradients(seed)
    groups = []
    for child, ctx, _position, child_flat, local in walk.successors(start):
        paths = walk.counts[(id(child), child_flat)]
        if paths:
            value = float(upstream[id(child)].flat[child_flat])
            groups.append(ElementGroup(child, _unravel(child_flat, child), ctx, local, value, paths))
    return ElementExplanation(
        output=output,
        leaf=leaf,
        index=index,
        element=element,
        paths=walk.enumerate_paths(start, max_paths),
        total_paths=total,
        groups=groups,
        stopped=[(t, i, ctx) for t, i, ctx in walk.stopped if walk.count_paths((id(t), _flat(i, t)))],
        gradient=float(upstream[id(leaf)].flat[start[1]]),
        names=names,
    )


class _ElementWalk:
    """The graph seen element by element: successors of an element, path counts, path listing."""

    def __init__(self, order: list[Tensor], output: Tensor, output_element: tuple[int, ...]):
        self.order = order
        self.tensors = {id(tensor): tensor for tensor in order}
        self.target: Node = (id(output), _flat(output_element, output))
        self.uses: dict[int, list[tuple[Tensor, Context, int]]] = defaultdict(list)
        for tensor in order:
            if tensor.grad_fn is not None:
                for position, parent in enumerate(tensor.grad_fn.parents):
                    self.uses[id(parent)].append((tensor, tensor.grad_fn, position))
        self.counts: dict[Node, int] = {}
        self.stopped: list[tuple[Tensor, tuple[int, ...], Context]] = []
        self._successors: dict[Node, list[tuple[Tensor, Context, int, int, float]]] = {}

    def successors(self, node: Node) -> list[tuple[Tensor, Context, int, int, float]]:
        """(child tensor, op, input position, child flat index, local derivative) for each element
        this element feeds with a nonzero local derivative."""
        if node not in self._successors:
            tensor_id, flat = node
            tensor = self.tensors[tensor_id]
            found = []
            for child, ctx, position in self.uses[tensor_id]:
                column, depends = _local_column(ctx, child, position, tensor, flat)
                for q in np.flatnonzero(depends & (column == 0)):
                    self.stopped.append((child, _unravel(int(q), child), ctx))
                nonzero = np.flatnonzero(column)
                found += [(child, ctx, position, int(q), plain_float(column.flat[q], child.dtype)) for q in nonzero]
            self._successors[node] = found
        return self._successors[node]

    def count_paths(self, start: Node) -> int:
        """Paths from each element reached from ``start`` to the target element (iterative, memoised)."""
        stack: list[tuple[Node, bool]] = [(start, False)]
        while stack:
            node, children_done = stack.pop()
            if node in self.counts:
                continue
            if node == self.target:
                self.counts[node] = 1
                continue
            following = [(id(child), q) for child, _ctx, _position, q, _local in self.successors(node)]
            if children_done:
                self.counts[node] = sum(self.counts[other] for other in following)
                continue
            if len(self._successors) > MAX_ELEMENTS:
                raise ValueError(
                    f"explain: more than {MAX_ELEMENTS} elements lie between the leaf element and the output; "
                    "explain a smaller batch (a few rows show the same sum)"
                )
            stack.append((node, True))
            stack.extend((other, False) for other in following if other not in self.counts)
        return self.counts[start]

    def enumerate_paths(self, start: Node, max_paths: int) -> list[ElementPath]:
        """Depth first from the leaf element, first use and first element first; at most max_paths."""
        paths: list[ElementPath] = []
        stack: list[tuple[Node, list[ElementEdge]]] = [(start, [])]
        while stack and len(paths) < max_paths:
            node, edges = stack.pop()
            if node == self.target:
                paths.append(ElementPath(list(reversed(edges))))
                continue
            tensor = self.tensors[node[0]]
            following = []
            for child, ctx, position, q, local in self.successors(node):
                if self.counts.get((id(child), q), 0):
                    edge = ElementEdge(
                        child, _unravel(q, child), ctx, position, tensor, _unravel(node[1], tensor), local
                    )
                    following.append(((id(child), q), edges + [edge]))
            stack.extend(reversed(following))
        return paths

    def upstream_gradients(self, seed: np.ndarray) -> dict[int, np.ndarray]:
        """∂output[element]/∂t for every tensor t of the graph, from the engine (one backward pass)."""
        output = self.tensors[self.target[0]]
        grads = grad(output, self.order, grad_outputs=Tensor(seed), retain_graph=True, allow_unused=True)
        return {
            id(tensor): np.zeros(tensor.shape) if gradient is None else np.asarray(gradient._data, dtype=np.float64)
            for tensor, gradient in zip(self.order, grads)
        }


def _local_column(
    ctx: Context, child: Tensor, position: int, parent: Tensor, flat: int
) -> tuple[np.ndarray, np.ndarray]:
    """∂child/∂parent[flat] for every element of child (the op's jvp for a one-hot tangent), and
    which elements of child depend on parent[flat] at all (the jvp of a NaN there: 0 · NaN is NaN)."""
    try:
        column = _jvp_of_one_element(ctx, child, position, parent, flat, 1.0)
        with np.errstate(invalid="ignore"):
            depends = np.isnan(_jvp_of_one_element(ctx, child, position, parent, flat, np.nan))
        return column, depends
    except NotImplementedError:  # no jvp: one backward per element of the output
        column = np.zeros(child.shape)
        for q in range(child.data.size):
            upstream = np.zeros(child.shape, dtype=child.dtype)
            upstream.flat[q] = 1
            column.flat[q] = _backward_one(ctx, child, upstream, position).flat[flat]
        return column, column != 0


def _jvp_of_one_element(
    ctx: Context, child: Tensor, position: int, parent: Tensor, flat: int, value: float
) -> np.ndarray:
    tangent = np.zeros(parent.shape, dtype=parent.dtype)
    tangent.flat[flat] = value
    tangents: list[Tensor | None] = [None] * len(ctx.parents)
    tangents[position] = Tensor(tangent)
    with no_grad():
        return np.asarray(op_jvp(ctx, child, tangents).data)


def _flat(index: tuple[int, ...], tensor: Tensor) -> int:
    return int(np.ravel_multi_index(index, tensor.shape)) if tensor.ndim else 0


def _unravel(flat: int, tensor: Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, tensor.shape)) if tensor.ndim else ()
