"""What the pictures say is true: read every frame as a student reads it and re-derive it.

For each program below (repeated inputs, division and exp, named statements, vectors, a matrix
product, forward mode, second order, worksheets) the test reads the text of every frame and
of every node, as printed, and checks:

    every displayed expression evaluates, with the values on the page, to the value beside it
    every chain "… = … = …" holds wherever its parts can be computed
    every local derivative "∂N/∂X = F = V" has F = V, and V is the numerical partial derivative
    of the expression N stands for
    the gradients of the last frame are the finite differences of the program itself
    no frame writes ∂L/ when the output has another name

Nothing here calls the code that wrote the captions: only the page and the program are read
(tests/reading.py translates the notation).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from reading import agrees, close, evaluate, has_operator, number_or_array, numerical_partial

import viz
from viz.expression import build
from viz.worksheet import worksheet_figures

PROGRAMS = [
    ("z = w*x + b; L = -log(sigmoid(z))", "w=0.5,x=2,b=-1"),
    ("e = a*2; L = e*e + e/a", "a=3"),
    ("f = exp(x)/(1+exp(x))", "x=0.5"),
    ("L = -(a-b)*(a+b)*c + 1/(1+exp(-x))", "a=1,b=2,c=3,x=0.3"),
    (
        "h1 = tanh(w1*x + b1); h2 = tanh(w2*x + b2); yhat = v1*h1 + v2*h2; E = (yhat - t)**2",
        "w1=0.5,b1=0.1,w2=-0.3,b2=0.2,v1=1,v2=-1,x=2,t=0.5",
    ),
    ("L = x**y + (x - y)**2 - sqrt(x*y)", "x=1.5,y=0.5"),
    ("y = W@x + b; L = sum(tanh(y)*y)", "W=[[1,-2],[0.5,1]],x=[1,-1],b=[0.1,0.2]"),
    ("p = softmax(z); L = -log(p[1]) + sum(z*z)", "z=[0.5,-1,2]"),
]
BALANCED = r"\((?:[^()=]|\((?:[^()=]|\((?:[^()=]|\([^()=]*\))*\))*\))*\)"  # (…) nested up to 4 deep
SYMBOL = rf"[∂d](?:{BALANCED}|[^\s=/,()]+(?:{BALANCED})?)/[∂d](?:{BALANCED}|[^\s=,:()]+(?:{BALANCED})?[₀-₉]*)"
VALUE = r"\[[\[\]\d.,\s−e+-]*\]|[−\d.e+-]*\d"


def node_values(frame) -> dict[str, np.ndarray]:
    """name -> value of every node of a frame's picture, read from its label (the op band left out)."""
    values = {}
    for label, _ in frame.picture.nodes.values():
        label = re.sub(r'<TD BGCOLOR="[^"]*" BORDER="1" SIDES="B">.*?</TD>', "", label)  # the op's band
        label = html.unescape(label.replace("&#160;", " "))
        name = " ".join(re.findall(r"<B>(.*?)</B>", label))
        text = re.sub(r"<[^>]+>", " ", label.split("grad")[0])
        shape = re.search(r"\((\d+(?:×\d+)*)\)", text)
        cells = re.findall(r'<TD ALIGN="RIGHT"><FONT>([^<]*)</FONT></TD>', label)
        if shape and cells:
            dims = tuple(int(size) for size in shape.group(1).split("×"))
            value = np.array([float(cell.replace("−", "-")) for cell in cells]).reshape(dims)
        else:
            found = re.search(rf"= ({VALUE})", text)
            value = number_or_array(found.group(1)) if found else number_or_array(name)
        if value is not None and "…" not in name:
            values[name] = value
    return values


def symbols_in(line: str) -> dict[str, np.ndarray]:
    """Every 'symbol = number' on a line: ∂L/∂z = −0.5, da/da = 1."""
    found = {}
    for match in re.finditer(rf"(?<!\w)({SYMBOL}) = ({VALUE})(?=,|;|$)", line):
        value = number_or_array(match.group(2))
        if value is not None:
            found[match.group(1)] = value
    return found


def unwrap(text: str) -> str:
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for position, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and position < len(text) - 1:
                return text
        return text[1:-1]
    return text


def try_evaluate(text: str, values: dict) -> np.ndarray | None:
    if "∂" in text or "…" in text or "?" in text:
        text_without_symbols = text
        for symbol in values:
            if "∂" in symbol or symbol.startswith("d"):
                text_without_symbols = text_without_symbols.replace(symbol, "")
        if "∂" in text_without_symbols or "…" in text or "?" in text:
            return None
    try:
        return np.asarray(evaluate(text, values), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a segment a student cannot compute either (∂N/∂X itself)
        return None


def check_chain(segments: list[str], values: dict, where: str) -> int:
    """All the computable segments of 'A = B = C' agree. Returns how many were computed."""
    computed = [(segment, try_evaluate(segment, values)) for segment in segments]
    computed = [(segment, value) for segment, value in computed if value is not None]
    for segment, _ in computed[:-1]:
        assert agrees(segment, values, computed[-1][1]), f"{where}: {segment} ≠ {computed[-1][0]}"
    return len(computed)


def shifted(values: dict, name: str, step: float) -> dict:
    return dict(values, **{name: np.asarray(values[name], dtype=np.float64) + step})


def check_local(line: str, values: dict, where: str) -> bool:
    """'local derivative: ∂N/∂X = F = V, where N = E': F = V and V = ∂E/∂X numerically."""
    match = re.match(r"local derivative: ∂(.+?)/∂(.+?) = (.+?)(?:, where (.+?) = (.+))?$", line)
    assert match, f"{where}: cannot read {line!r}"
    numerator, variable, rest, _, expression = match.groups()
    numerator, variable = unwrap(numerator), unwrap(variable)
    parts = rest.split(" = ")
    formula, shown = parts[0], number_or_array(parts[-1])
    assert shown is not None, f"{where}: no value in {line!r}"
    assert try_evaluate(formula, values) is not None and agrees(formula, values, shown), (
        f"{where}: {formula} ≠ {parts[-1]}"
    )
    if variable not in values:
        return False
    others = {name: value for name, value in values.items() if name != numerator}
    target = expression or numerator
    if has_operator(variable):  # the input as it stands in the op's text: z = w·x + b
        target = target.replace(variable, f"({variable})")
    partial = numerical_partial(target, others, variable)
    if not close(shown, partial, digits=3):  # at a kink (relu at 0) either one-sided derivative is right
        left = numerical_partial(target, shifted(others, variable, -1e-5), variable)
        right = numerical_partial(target, shifted(others, variable, 1e-5), variable)
        low, high = np.minimum(left, right), np.maximum(left, right)
        between = np.all((shown >= low - 1e-3) & (shown <= high + 1e-3))
        assert between, f"{where}: ∂({target})/∂{variable} is {partial}, the page says {shown}"
    return True


def check_frames(frames, root: str, where: str) -> dict[str, int]:
    counts = {"chains": 0, "locals": 0, "labels": 0}
    values = node_values(frames[0])
    for name, value in values.items():  # every node's text evaluates to its value
        others = {other: v for other, v in values.items() if other != name}
        computed = try_evaluate(name, others)
        if computed is not None:
            assert agrees(name, others, value), f"{where}: the node {name} shows {value}, its text gives {computed}"
            counts["labels"] += 1
    for frame in frames:
        known = dict(values)
        for line in frame.lines:
            text = line.full
            if root != "L":
                assert "∂L/" not in text, f"{where}: ∂L/ in {text!r} but the output is {root}"
            known.update(symbols_in(text))
            if text.startswith("local derivative:"):
                counts["locals"] += check_local(text, known, f"{where} #{frame.index}")
                continue
            body = text.split(", where ")[0]
            if body.startswith("tangents arriving"):
                continue
            body = re.sub(r"^(upstream|carries): ", "", body)
            body = re.sub(r"^.*? (receives|has received so far) ", "", body)
            body = re.sub(r"^.*? is used (twice|\d+ times): ", "", body)
            if ",  shapes" in body:  # a matrix product: the rule, its shapes, the numbers
                rule, numbers = body.split(",  shapes")[0], body.rsplit(": ", 1)[-1]
                segments = [rule, numbers]
                columns = {name: v.reshape(-1, 1) if np.ndim(v) == 1 else v for name, v in known.items()}
                if check_chain(segments, columns, f"{where} #{frame.index}: {text}") >= 2:  # vectors are columns
                    counts["chains"] += 1
                continue
            elif body.startswith(("forward pass", "next", "with ", "done after", "the ")):
                continue
            else:
                segments = body.split(" = ")
            if check_chain(segments, known, f"{where} #{frame.index}: {text}") >= 2:
                counts["chains"] += 1
    return counts


def finite_difference(source: str, values: str, name: str) -> np.ndarray:
    """∂output/∂name of the program itself, by central differences."""
    program = build(source, values)
    base = np.asarray(program.leaves[name].data, dtype=np.float64)
    result = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        outputs = []
        for step in (1e-6, -1e-6):
            moved = base.copy()
            moved[index] += step
            given = {leaf: np.asarray(tensor.data).tolist() for leaf, tensor in program.leaves.items()}
            given[name] = moved.tolist()
            outputs.append(build(source, given).output.item())
        result[index] = (outputs[0] - outputs[1]) / 2e-6
    return result


@pytest.mark.parametrize("source, values", PROGRAMS, ids=[source[:24] for source, _ in PROGRAMS])
def test_every_frame_of_the_backprop_player_is_true(source, values):
    program = build(source, values, require_scalar=True)
    frames = viz.backprop_frames(program.output)
    root = program.output_name
    counts = check_frames(frames, root, source)
    assert counts["chains"] >= 1
    last = "; ".join(line.full for line in frames[-1].lines)
    for name in program.leaves:
        shown = symbols_in(last).get(f"∂{root}/∂{name}")
        assert shown is not None, f"{source}: no ∂{root}/∂{name} on the last frame"
        assert close(shown, finite_difference(source, values, name), digits=3), f"{source}: ∂{root}/∂{name}"


@pytest.mark.parametrize(
    "source, values", [PROGRAMS[0], PROGRAMS[1], PROGRAMS[4], PROGRAMS[7]], ids=["neuron", "repeat", "net", "vector"]
)
def test_every_frame_of_forward_mode_is_true(source, values):
    program = build(source, values, require_scalar=True)
    name = next(iter(program.leaves))
    frames = viz.forward_frames(program.output, program.leaves[name])
    check_frames(frames, program.output_name, source)
    last = frames[-1].lines[-1].full  # "carries: dL/dw = … = −1"
    gradient = finite_difference(source, values, name)
    if gradient.size > 1:  # a vector moves along all ones, w + t·[1, …]: dL/dt is the gradient's sum
        name, gradient = "t", gradient.sum()
    assert f"d{program.output_name}/d{name} = " in last
    final = number_or_array(last.rsplit(" = ", 1)[1])
    assert final is not None and close(final, gradient, digits=3)


@pytest.mark.parametrize("source, values", [PROGRAMS[3], PROGRAMS[4], ("f = sin(x)*x/(1 + x*x)", "x=0.7")])
def test_the_second_order_graph_labels_evaluate_to_their_values(source, values):
    import tinygrad_edu as tg

    program = build(source, values, require_scalar=True)
    leaves = list(program.leaves.values())
    gradients = tg.grad(program.output, leaves, create_graph=True)
    roots = [gradient for gradient in gradients if gradient.requires_grad]
    graph_source = viz.draw_graph(roots, show_grads=False).source
    labels = re.findall(r"<B>(.*?)</B> = ([^<]+)<", graph_source)
    names = {html.unescape(name): number_or_array(value) for name, value in labels}
    names = {name: value for name, value in names.items() if value is not None}
    checked = 0
    for name, value in names.items():
        computed = try_evaluate(name, {other: v for other, v in names.items() if other != name})
        if computed is not None:
            assert close(computed, value), f"{source}: the label {name} = {value}, but it computes {computed}"
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("source, values", [PROGRAMS[4], PROGRAMS[2], PROGRAMS[3]], ids=["net", "exp", "parens"])
def test_the_worksheet_says_what_its_numbers_are(source, values):
    program = build(source, values, require_scalar=True)
    _, answers = worksheet_figures(program)
    texts = [text.get_text() for text in answers.axes[0].texts]
    root = program.output_name
    assert not any("∂L/" in text for text in texts) or root == "L"
    # A node: its title (perhaps over several lines), "= value", its box label, its answer.
    boxes, title, values_by_name = [], [], {}
    rows: list[np.ndarray] = []
    start = next(number for number, text in enumerate(texts) if text.startswith("Start at")) + 1
    for text in texts[start:] + ["∂ end"]:  # after the heading, the program and the instruction
        if text.startswith("  [") and rows:  # a vector or matrix continues on the next lines
            rows.append(number_or_array(text))
            continue
        if rows:  # a column of one number per line is a vector
            stacked = np.array(rows)
            boxes.append((" ".join(title), stacked.reshape(-1) if stacked.shape[-1] == 1 else stacked))
            title, rows = [], []
        if text.startswith("= "):
            rows = [number_or_array(text[2:])]
        elif text.startswith("∂") or number_or_array(text) is not None:
            continue
        else:
            title.append(text)
    for heading, value in boxes:
        name = heading.split(" = ")[0]
        values_by_name[name] = value
    checked = 0
    for heading, value in boxes:
        if " = " not in heading:
            name, expression = heading, heading
        else:
            name, expression = heading.split(" = ", 1)
        computed = try_evaluate(expression, {other: v for other, v in values_by_name.items() if other != name})
        if computed is not None:
            others = {other: v for other, v in values_by_name.items() if other != name}
            assert agrees(expression, others, value), (
                f"{source}: the worksheet says {heading} = {value}, not {computed}"
            )
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_the_cross_entropy_step_says_what_it_sends_with_label_smoothing(smoothing):
    import tinygrad_edu as tg

    z = tg.Tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True, name="z")
    loss = tg.nn.functional.cross_entropy(z, np.array([1]), label_smoothing=smoothing)
    loss.name = "L"
    (step,) = viz.backprop_frames(loss)[1:-1]
    sends = next(line.full for line in step.lines if " receives " in line.full)
    with_line = next(line.full for line in step.lines if line.full.startswith("with "))
    values = dict(node_values(step), onehot=lambda t: np.eye(3)[np.asarray(t, dtype=int)])
    for pair in with_line[len("with ") :].split(", "):  # ∂L/∂L = 1, ε = 0.3, C = 3 classes, N = 1
        name, _, value = pair.partition(" = ")
        values[name] = number_or_array(value.split()[0])
    formula, shown = sends.split(" receives ")[1].rsplit(" = ", 1)
    assert agrees(formula, values, number_or_array(shown))
    assert close(number_or_array(shown), z.grad.data)
