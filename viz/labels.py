"""How values and ops are written in the pictures: numbers, grids, gradients, node labels.

Graphviz HTML-like labels (``<<TABLE>…</TABLE>>``), shared by ``draw_graph`` and the backprop
player. The colours live here too, so that the legend and the nodes agree. Every text that
reaches Graphviz is short: names are cut by ``viz.names``, settings here, numbers have 4
significant digits (Graphviz fails on labels of 16,384+ characters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_edu import Context, Tensor

from .captions import shape_text, signed, values_inline
from .escape import graphviz_html
from .names import FUNCTION_NAMES, break_lines, format_number, index_text

if TYPE_CHECKING:
    from .graph import GraphStructure

# ----- colours (one place, so the legend and the nodes agree) ----------------------------------

PARAMETER_COLOUR = "#cfe2ff"  # leaves that require grad
CONSTANT_COLOUR = "#e9ecef"  # no gradient flows into these
INTERMEDIATE_COLOUR = "#ffffff"
OUTPUT_COLOUR = "#ffe08a"
OP_COLOUR = "#f1f3f5"
MODULE_COLOUR = "#d8f0d8"
HIGHLIGHT_COLOUR = "#ff9f43"  # the op being differentiated in a backprop frame
DONE_COLOUR = "#e6f4ea"  # ops the backward walk has already visited
GRADIENT_COLOUR = "#d62728"  # edges and text that carry gradients

SMALL_TENSOR_ELEMENTS = 12  # up to this many elements the numbers are shown, else a summary
FONT_SIZE = 14  # points; the player scales the picture to the screen
OP_FONT_SIZE = 18
MAX_TITLE_CHARS = 200  # Graphviz fails on labels of 16,384+ characters
MAX_SUM_ROWS = 5  # a gradient adding up more contributions shows the first two, "… (k more)", the last two


# ----- numbers as text ---------------------------------------------------------------------------


def format_values(array: np.ndarray, max_elements: int = SMALL_TENSOR_ELEMENTS) -> str:
    """The numbers of a small array, or 'mean … std … norm …' for a big one (may span lines)."""
    array = np.asarray(array)
    if array.size == 0:
        return "[] (empty)"
    if array.size == 1:
        return format_number(array.reshape(-1)[0])
    if array.size <= max_elements:
        text = np.array2string(
            array, precision=4, suppress_small=True, separator=", ", max_line_width=44, floatmode="maxprec"
        )
        return text.replace("-", "−")
    data = array.astype(np.float64)
    return (
        f"mean {format_number(data.mean())}  std {format_number(data.std())}\n"
        f"norm {format_number(np.linalg.norm(data))}  range [{format_number(data.min())}, {format_number(data.max())}]"
    )


def html_text(text: str) -> str:
    """Escape text for a Graphviz HTML label, keeping its line breaks (left-aligned)."""
    return '<BR ALIGN="LEFT"/>'.join(graphviz_html(line) for line in text.split("\n"))


# ----- labels ------------------------------------------------------------------------------------


def op_settings(ctx: Context) -> str:
    """The op's settings, the keyword arguments it was called with ('axis=1 keepdims=True'), short."""
    parts = []
    for name, value in ctx.settings.items():
        if isinstance(value, np.ndarray):
            continue
        text = repr(value)
        if len(text) > 24:
            text = text[:21] + "..."
        parts.append(f"{name}={text}")
    return " ".join(parts)


def values_html(array: np.ndarray, colour: str | None = None) -> str:
    """A small matrix or vector as a grid of numbers; one number as text; a big array as a summary."""
    array = np.asarray(array)
    font = f' COLOR="{colour}"' if colour else ""
    if array.size == 1 or array.size == 0 or array.size > SMALL_TENSOR_ELEMENTS or array.ndim > 2:
        return f"<FONT{font}>{html_text(format_values(array))}</FONT>"
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    border = f' COLOR="{colour}"' if colour else ' COLOR="#888888"'
    cells = "".join(
        "<TR>" + "".join(f'<TD ALIGN="RIGHT"><FONT{font}>{format_number(value)}</FONT></TD>' for value in row) + "</TR>"
        for row in rows
    )
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"{border}>{cells}</TABLE>'


def gradient_html(array: np.ndarray, parts: Sequence[np.ndarray] = (), hidden: bool = False) -> list[str]:
    """Rows for a node's gradient ∂L/∂node, in red: 'grad 0.5', a fan-out sum, or a grid.

    parts   the contributions that add up to it (two or more: a tensor used several times)
    hidden  predict mode: the last contribution (and so the total) is still '?'
    """
    array = np.asarray(array)
    red = f'<FONT COLOR="{GRADIENT_COLOUR}">'
    if len(parts) >= 2 and (array.size == 1 or hidden):
        # One contribution per line, so that a fan-out stacks up instead of widening its box.
        known = [signed(values_inline(part)) for part in parts[: -1 if hidden else None]]
        if hidden:
            known.append("?")
        if len(known) > MAX_SUM_ROWS:  # a tensor used many times: its first and last contributions
            known = [*known[:2], f"… ({len(known) - 4} more)", *known[-2:]]
        rows = [f"{red}grad {graphviz_html(known[0])}</FONT>"]
        rows += [f"{red}+ {graphviz_html(part)}</FONT>" for part in known[1:]]
        if not hidden:
            rows.append(f"{red}= {graphviz_html(values_inline(array))}</FONT>")
        return rows
    if hidden:
        return [f"{red}grad ?</FONT>"]
    if array.size == 1:
        return [f"{red}grad {graphviz_html(values_inline(array))}</FONT>"]
    note = f" (sum of {len(parts)})" if len(parts) >= 2 else ""
    return [f"{red}grad{note}</FONT>", values_html(array, GRADIENT_COLOUR)]


def stage_label(
    name: str, data: np.ndarray, gradient_rows: Sequence[str] = (), op: str | None = None, op_colour: str = ""
) -> str:
    """A value node of the backprop player: the op that made it, its name and value, its gradient.

    The op sits in a coloured band on top (so a step's op and its output are one box, and
    the graph needs half as many columns); a long name is broken over lines.
    """
    data = np.asarray(data)
    rows = []
    if op is not None:
        rows.append(f'<TD BGCOLOR="{op_colour}" BORDER="1" SIDES="B"><B>{graphviz_html(op)}</B></TD>')
    bold = break_lines(name)
    if data.size == 1 and data.ndim <= 1:
        value = format_number(data.reshape(-1)[0])
        lines = list(bold)
        if value != name:  # a constant is named by its value: "1", not "1 = 1"
            if len(lines[-1]) + 3 + len(value) <= 16:
                lines[-1] += f" = {value}"
            else:
                lines.append(f"= {value}")
        for number, line in enumerate(lines):
            if number < len(bold):
                # a space after </B> would be lost
                rest = graphviz_html(line[len(bold[number]) :]).replace(" ", "&#160;")
                rows.append(f"<TD><B>{graphviz_html(bold[number])}</B>{rest}</TD>")
            else:
                rows.append(f"<TD>{graphviz_html(line)}</TD>")
    else:
        rows.extend(f"<TD><B>{graphviz_html(line)}</B></TD>" for line in bold)
        rows.append(f'<TD><FONT COLOR="#555555">{shape_text(data)}</FONT></TD>')
        rows.append(f"<TD>{values_html(data)}</TD>")
    rows.extend(f"<TD>{row}</TD>" for row in gradient_rows)
    cells = "".join(f"<TR>{row}</TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>>'


def value_label(
    structure: GraphStructure,
    tensor: Tensor,
    show_values: bool,
    grad_text: str | None = None,
    extra_rows: Sequence[str] = (),
) -> str:
    """HTML label of a value node: its name and value, its gradient, extra rows (already HTML).

    A scalar reads "a·b = −6"; a small matrix shows its shape and a grid of its numbers. The
    dtype is shown only when it is not a float (a float's dtype tells a student nothing).
    """
    name = graphviz_html(structure.display_name(tensor))
    data = np.asarray(tensor.data)
    dtype = "" if np.issubdtype(data.dtype, np.floating) else f" {data.dtype}"
    rows = []
    if data.size == 1 and data.ndim <= 1:
        number = format_number(data.reshape(-1)[0])
        value = f" = {graphviz_html(number)}" if show_values and number != name else ""
        rows.append(f"<B>{name}</B>{value}{graphviz_html(dtype)}")
    else:
        rows.append(f'<B>{name}</B> <FONT COLOR="#555555">{shape_text(data)}{graphviz_html(dtype)}</FONT>')
        if show_values:
            rows.append(values_html(data))
    if grad_text is not None:
        rows.append(f'<FONT COLOR="{GRADIENT_COLOUR}">{html_text(grad_text)}</FONT>')
    rows.extend(extra_rows)
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>>'


OP_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "/", "MatMul": "@", "Neg": "minus", "Pow": "power"}


def op_symbol(ctx: Context) -> str:
    """How an op is drawn: '×', '+', 'tanh', 'σ', '[2]' for indexing, or the class name of an op
    without a symbol."""
    if ctx.name == "GetItem":
        return index_text(getattr(ctx, "index", ()))
    return OP_SYMBOLS.get(ctx.name) or FUNCTION_NAMES.get(ctx.name) or ctx.name


def op_label(ctx: Context, extra_rows: Sequence[str] = ()) -> str:
    """HTML label of an op node: its symbol, its settings, extra rows."""
    rows = [f'<FONT POINT-SIZE="{OP_FONT_SIZE}"><B>{graphviz_html(op_symbol(ctx))}</B></FONT>']
    settings = op_settings(ctx)
    if settings:
        rows.append(graphviz_html(settings))
    rows.extend(extra_rows)
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def value_style(kind: str) -> dict[str, str]:
    colours = {
        "parameter": PARAMETER_COLOUR,
        "constant": CONSTANT_COLOUR,
        "intermediate": INTERMEDIATE_COLOUR,
        "output": OUTPUT_COLOUR,
    }
    style = {"shape": "box", "style": "rounded,filled", "fillcolor": colours[kind]}
    if kind == "output":
        style["penwidth"] = "2"
    return style
