"""The local derivative of every built-in op, written as a student would write it on paper.

The backprop frames show, at each step, the formula the op uses to turn the upstream gradient
∂L/∂y into what it sends to each input. The numbers in the frames come from the engine; this
table only supplies the words. One row per op, keyed by the op's class name:

    forward   what the op computes, in the names used below       "y = a · b"
    inputs    the name of each input, in call order                 ("a", "b")
    local     the local derivative ∂y/∂input, one per input         ("∂(a·b)/∂a = b", ...)
    chain     what the op sends back, one per input                 ("∂L/∂a = ∂L/∂y · b", ...)

Ops with any number of inputs (Concatenate) give one entry in ``inputs``/``local``/``chain``
that stands for every input. An op not in the table gets a generic row built from the
"backward:" line of its docstring; a Function subclass with a ``local_derivative`` string
attribute gets that string instead (it wins over the table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalDerivative:
    """How one op turns ∂L/∂y into ∂L/∂input (see the module docstring for the fields)."""

    forward: str
    inputs: tuple[str, ...]
    local: tuple[str, ...]
    chain: tuple[str, ...]

    def input_name(self, position: int) -> str:
        """The name of input ``position`` ("a", "b", ... or "x₁", "x₂" for many inputs)."""
        if position < len(self.inputs):
            return self.inputs[position]
        return f"x{subscript(position + 1)}"

    def local_for(self, position: int) -> str:
        return self.local[min(position, len(self.local) - 1)]

    def chain_for(self, position: int) -> str:
        return self.chain[min(position, len(self.chain) - 1)]


LOCAL_DERIVATIVES: dict[str, LocalDerivative] = {
    # ----- binary arithmetic -----
    "Add": LocalDerivative(
        "y = a + b", ("a", "b"), ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1"), ("∂L/∂a = ∂L/∂y", "∂L/∂b = ∂L/∂y")
    ),
    "Sub": LocalDerivative(
        "y = a − b", ("a", "b"), ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1"), ("∂L/∂a = ∂L/∂y", "∂L/∂b = −∂L/∂y")
    ),
    "Mul": LocalDerivative(
        "y = a · b", ("a", "b"), ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a"), ("∂L/∂a = ∂L/∂y · b", "∂L/∂b = ∂L/∂y · a")
    ),
    "Div": LocalDerivative(
        "y = a / b",
        ("a", "b"),
        ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²"),
        ("∂L/∂a = ∂L/∂y / b", "∂L/∂b = −∂L/∂y · a/b²"),
    ),
    "Pow": LocalDerivative(
        "y = aᵇ",
        ("a", "b"),
        ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a"),
        ("∂L/∂a = ∂L/∂y · b·aᵇ⁻¹", "∂L/∂b = ∂L/∂y · aᵇ·ln a"),
    ),
    "Maximum": LocalDerivative(
        "y = max(a, b)",
        ("a", "b"),
        ("∂max(a,b)/∂a = [a > b] (½ at a tie)", "∂max(a,b)/∂b = [b > a] (½ at a tie)"),
        ("∂L/∂a = ∂L/∂y · [a > b]", "∂L/∂b = ∂L/∂y · [b > a]"),
    ),
    "Where": LocalDerivative(
        "y = a if c else b",
        ("c", "a", "b"),
        ("the condition c gets no gradient", "∂y/∂a = [c]", "∂y/∂b = [not c]"),
        ("(none)", "∂L/∂a = ∂L/∂y · [c]", "∂L/∂b = ∂L/∂y · [not c]"),
    ),
    # ----- unary -----
    "Neg": LocalDerivative("y = −x", ("x",), ("∂(−x)/∂x = −1",), ("∂L/∂x = −∂L/∂y",)),
    "Exp": LocalDerivative("y = eˣ", ("x",), ("∂eˣ/∂x = eˣ = y",), ("∂L/∂x = ∂L/∂y · y",)),
    "Log": LocalDerivative("y = ln x", ("x",), ("∂(ln x)/∂x = 1/x",), ("∂L/∂x = ∂L/∂y / x",)),
    "Sqrt": LocalDerivative("y = √x", ("x",), ("∂√x/∂x = 1/(2√x)",), ("∂L/∂x = ∂L/∂y / (2y)",)),
    "Abs": LocalDerivative("y = |x|", ("x",), ("∂|x|/∂x = sign(x)",), ("∂L/∂x = ∂L/∂y · sign(x)",)),
    "Sin": LocalDerivative("y = sin x", ("x",), ("∂(sin x)/∂x = cos x",), ("∂L/∂x = ∂L/∂y · cos x",)),
    "Cos": LocalDerivative("y = cos x", ("x",), ("∂(cos x)/∂x = −sin x",), ("∂L/∂x = −∂L/∂y · sin x",)),
    "Clip": LocalDerivative(
        "y = clip(x, low, high)",
        ("x",),
        ("∂clip(x)/∂x = [low ≤ x ≤ high]",),
        ("∂L/∂x = ∂L/∂y · [low ≤ x ≤ high]",),
    ),
    # ----- activations -----
    "ReLU": LocalDerivative("y = max(x, 0)", ("x",), ("∂relu(x)/∂x = [x > 0]",), ("∂L/∂x = ∂L/∂y · [x > 0]",)),
    "LeakyReLU": LocalDerivative(
        "y = x if x > 0 else α·x",
        ("x",),
        ("∂y/∂x = 1 if x > 0 else α",),
        ("∂L/∂x = ∂L/∂y · (1 if x > 0 else α)",),
    ),
    "Sigmoid": LocalDerivative(
        "y = σ(x)", ("x",), ("∂σ(x)/∂x = σ(x)·(1 − σ(x)) = y·(1 − y)",), ("∂L/∂x = ∂L/∂y · y·(1 − y)",)
    ),
    "Tanh": LocalDerivative(
        "y = tanh x", ("x",), ("∂(tanh x)/∂x = 1 − tanh²x = 1 − y²",), ("∂L/∂x = ∂L/∂y · (1 − y²)",)
    ),
    # ----- reductions -----
    "Sum": LocalDerivative(
        "y = Σᵢ xᵢ",
        ("x",),
        ("∂(Σⱼ xⱼ)/∂xᵢ = 1",),
        ("∂L/∂xᵢ = ∂L/∂y  (copied back to every element)",),
    ),
    "Max": LocalDerivative(
        "y = maxᵢ xᵢ",
        ("x",),
        ("∂(max x)/∂xᵢ = [xᵢ = max x] / number of maxima",),
        ("∂L/∂xᵢ = ∂L/∂y · [xᵢ = y] / number of maxima",),
    ),
    # ----- movement -----
    "Reshape": LocalDerivative(
        "y = x.reshape(shape)", ("x",), ("each yᵢ is one xⱼ: ∂yᵢ/∂xⱼ = 1",), ("∂L/∂x = (∂L/∂y).reshape(x.shape)",)
    ),
    "Transpose": LocalDerivative(
        "y = x.transpose(axes)",
        ("x",),
        ("each yᵢ is one xⱼ: ∂yᵢ/∂xⱼ = 1",),
        ("∂L/∂x = (∂L/∂y).transpose(inverse axes)",),
    ),
    "BroadcastTo": LocalDerivative(
        "y = broadcast_to(x, shape)",
        ("x",),
        ("each xⱼ is copied to many yᵢ: ∂yᵢ/∂xⱼ = 1",),
        ("∂L/∂x = ∂L/∂y summed over the repeated axes",),
    ),
    "GetItem": LocalDerivative(
        "y = x[index]",
        ("x",),
        ("∂yᵢ/∂xⱼ = 1 where yᵢ came from xⱼ, else 0",),
        ("∂L/∂x = zeros, with ∂L/∂y added at x[index]",),
    ),
    "IndexAdd": LocalDerivative(
        "y = zeros(shape); y[index] += v",
        ("v",),
        ("∂yⱼ/∂vᵢ = 1 where vᵢ was added to yⱼ",),
        ("∂L/∂v = (∂L/∂y)[index]",),
    ),
    "Concatenate": LocalDerivative(
        "y = [x₁ | x₂ | …]",
        (),
        ("∂y/∂xₖ = 1 on the slice where xₖ landed",),
        ("∂L/∂xₖ = the slice of ∂L/∂y where xₖ landed",),
    ),
    # ----- linear algebra and nn -----
    "MatMul": LocalDerivative(
        "Y = A @ B",
        ("A", "B"),
        ("∂(A@B)/∂A: Yᵢⱼ = Σₖ AᵢₖBₖⱼ, so ∂Yᵢⱼ/∂Aᵢₖ = Bₖⱼ", "∂(A@B)/∂B: ∂Yᵢⱼ/∂Bₖⱼ = Aᵢₖ"),
        ("∂L/∂A = ∂L/∂Y @ Bᵀ", "∂L/∂B = Aᵀ @ ∂L/∂Y"),
    ),
    "Affine": LocalDerivative(
        "y = x · Wᵀ + b",
        ("x", "W", "b"),
        ("∂y/∂x: yᵢⱼ = Σₖ xᵢₖWⱼₖ + bⱼ, so ∂yᵢⱼ/∂xᵢₖ = Wⱼₖ", "∂yᵢⱼ/∂Wⱼₖ = xᵢₖ", "∂yᵢⱼ/∂bⱼ = 1"),
        ("∂L/∂x = ∂L/∂y · W", "∂L/∂W = (∂L/∂y)ᵀ · x", "∂L/∂b = Σᵢ ∂L/∂yᵢ"),
    ),
    "Softmax": LocalDerivative(
        "yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ)",
        ("x",),
        ("∂yᵢ/∂xⱼ = yᵢ·(δᵢⱼ − yⱼ)",),
        ("∂L/∂xᵢ = yᵢ · (∂L/∂yᵢ − Σⱼ ∂L/∂yⱼ · yⱼ)",),
    ),
    "LogSoftmax": LocalDerivative(
        "yᵢ = xᵢ − ln Σⱼ exp(xⱼ)",
        ("x",),
        ("∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ",),
        ("∂L/∂xᵢ = ∂L/∂yᵢ − softmax(x)ᵢ · Σⱼ ∂L/∂yⱼ",),
    ),
    "CrossEntropy": LocalDerivative(
        "ℓ = −log softmax(x)ₜ  (mean over the batch)",
        ("x", "t"),
        ("∂ℓ/∂x꜀ = softmax(x)꜀ − [c = t]", "the integer targets t get no gradient"),
        ("∂L/∂x = (softmax(x) − onehot(t)) · ∂L/∂ℓ", "(none)"),
    ),
    "BinaryCrossEntropy": LocalDerivative(
        "ℓ = −(y·ln p + (1 − y)·ln(1 − p))",
        ("p", "y"),
        ("∂ℓ/∂p = (p − y) / (p·(1 − p))", "∂ℓ/∂y = ln(1 − p) − ln p"),
        ("∂L/∂p = ∂L/∂ℓ · (p − y) / (p·(1 − p))", "∂L/∂y = ∂L/∂ℓ · (ln(1 − p) − ln p)"),
    ),
}


def local_derivative(function: type) -> LocalDerivative:
    """The row for an op class: its own ``local_derivative`` string, the table, or a fallback.

    A user op can say what it does by defining, on its Function subclass:

        class Cube(Function):
            local_derivative = "∂(x³)/∂x = 3x²"
    """
    own = getattr(function, "local_derivative", None)
    if isinstance(own, str):
        return LocalDerivative(f"y = {function.__name__}(x)", (), (own,), (f"∂L/∂x = ∂L/∂y · ({own})",))
    row = LOCAL_DERIVATIVES.get(function.__name__)
    if row is not None:
        return row
    backward_line = _docstring_line(function, "backward:")
    chain = backward_line if backward_line else f"∂L/∂xᵢ = {function.__name__}.backward(ctx, ∂L/∂y)"
    return LocalDerivative(
        f"y = {function.__name__}(x)",
        (),
        (f"∂y/∂xᵢ as defined by {function.__name__}.backward",),
        (chain,),
    )


def _docstring_line(function: type, prefix: str) -> str | None:
    """The text after ``prefix`` on the first docstring line that starts with it, if any."""
    doc = function.__doc__ or ""
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith(prefix):
            return stripped[len(prefix) :].strip()
    return None


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    """``number`` written with subscript digits: 12 -> "₁₂"."""
    return str(number).translate(_SUBSCRIPT_DIGITS)
