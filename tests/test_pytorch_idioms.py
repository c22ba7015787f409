"""Idioms spelled the same in PyTorch and here, and the result PyTorch gives, written out.

Each row is PyTorch source with ``torch`` renamed ``tg`` (the only change a learner makes),
and what PyTorch answers: the values, the dtype and the shape. The table includes every
place where NumPy's meaning of the same spelling differs (transpose(0, 1), max(1), integer
promotion, x += 1 on a tensor in a graph, Tensor(2, 3), set_grad_enabled(False) as a call):
here they must give PyTorch's answer, never another number. Where torch is installed, each
row also runs under PyTorch itself and must give what the table says.

Every row starts from the same few tensors (PREAMBLE); the last line of a row is the value.
"""

from __future__ import annotations

import types
from typing import Any, NamedTuple

import numpy as np
import pytest

import tinygrad_edu

PREAMBLE = """
M = tg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
I = tg.tensor([[1, 2, 3], [4, 5, 6]])
"""


class T(NamedTuple):
    """A tensor as PyTorch prints it: values (None: not compared), dtype name, shape."""

    values: Any
    dtype: str
    shape: tuple[int, ...] | None = None


def f32(values: Any) -> T:
    return T(values, "float32")


def i64(values: Any) -> T:
    return T(values, "int64")


def boolean(values: Any) -> T:
    return T(values, "bool")


M_T = [[1.0, 4.0], [5.0, 2.0], [3.0, 6.0]]

IDIOMS: list[tuple[str, Any]] = [
    # ----- creation and dtypes ---------------------------------------------------------------
    ("tg.tensor([1, 2, 3])", i64([1, 2, 3])),
    ("tg.tensor([1.0, 2.0])", f32([1.0, 2.0])),
    ("tg.tensor([True, False])", boolean([True, False])),
    ("tg.zeros(2, 3)", f32([[0.0] * 3] * 2)),
    ("tg.ones((2, 3), dtype=tg.long)", i64([[1] * 3] * 2)),
    ("tg.zeros(2, dtype=tg.float64)", T([0.0, 0.0], "float64")),
    ("tg.Tensor(2, 3)", T(None, "float32", (2, 3))),  # sizes, as PyTorch (not a scalar)
    ("tg.Tensor(5, 3).shape", [5, 3]),
    ("tg.Tensor(5)", T(None, "float32", (5,))),  # one int is a size too: five values, not the number 5
    ("tg.Tensor([5])", f32([5.0])),
    ("tg.Tensor([1, 2])", f32([1.0, 2.0])),
    ("tg.arange(3)", i64([0, 1, 2])),
    ("tg.arange(0, 1, 0.25)", f32([0.0, 0.25, 0.5, 0.75])),
    ("tg.linspace(0, 1, 5)", f32([0.0, 0.25, 0.5, 0.75, 1.0])),
    ("tg.full((2,), 7)", i64([7, 7])),
    ("tg.full((2,), 0.5)", f32([0.5, 0.5])),
    ("tg.eye(2)", f32([[1.0, 0.0], [0.0, 1.0]])),
    ("tg.zeros_like(I)", i64([[0] * 3] * 2)),
    ("tg.ones_like(M, dtype=tg.float64)", T([[1.0] * 3] * 2, "float64")),
    ("tg.randn(size=(2, 3)).shape", [2, 3]),
    ("tg.randn(2, 3, device='cpu') * 0", f32([[0.0] * 3] * 2)),
    ("tg.zeros(2, device=tg.device('cpu'))", f32([0.0, 0.0])),
    ("tg.Tensor([1.0, 2.0], device='cpu')", f32([1.0, 2.0])),
    ("I.float()", f32([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    ("I.type(tg.float)", f32([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    ("I.to(tg.float)", f32([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    ("M.to(tg.double)", T([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], "float64")),
    ("M.to('cpu')", f32([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])),
    ("M.long()", i64([[1, 5, 3], [4, 2, 6]])),
    ("tg.tensor([1.7, -1.7]).long()", i64([1, -1])),
    ("M.int()", T([[1, 5, 3], [4, 2, 6]], "int32")),
    ("tg.tensor([1, 0]).bool()", boolean([True, False])),
    ("tg.tensor(M.dtype == tg.float)", boolean(True)),
    ("tg.tensor(I.dtype == tg.long)", boolean(True)),
    # ----- type promotion: PyTorch's (an integer meeting a float gives the float dtype) -------
    ("I / 2", f32([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]])),
    ("I * 0.5", f32([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]])),
    ("1.5 * I", f32([[1.5, 3.0, 4.5], [6.0, 7.5, 9.0]])),
    ("I + 1", i64([[2, 3, 4], [5, 6, 7]])),
    ("I * 2", i64([[2, 4, 6], [8, 10, 12]])),
    ("I ** 2", i64([[1, 4, 9], [16, 25, 36]])),
    ("2 ** I", i64([[2, 4, 8], [16, 32, 64]])),
    ("I / I", f32([[1.0] * 3] * 2)),
    ("M / I", f32([[1.0, 2.5, 1.0], [1.0, 0.4, 1.0]])),
    ("M * I", f32([[1.0, 10.0, 9.0], [16.0, 10.0, 36.0]])),
    ("M ** I", f32([[1.0, 25.0, 27.0], [256.0, 32.0, 46656.0]])),
    ("I - M", f32([[0.0, -3.0, 0.0], [0.0, 3.0, 0.0]])),
    ("((tg.tensor([1.0, 2.0]) - tg.tensor([1, 3])) ** 2).mean()", f32(0.5)),
    ("tg.tensor([1, 2]) + tg.tensor([0.5, 0.5], dtype=tg.float64)", T([1.5, 2.5], "float64")),
    ("tg.tensor([True, False]) + 1", i64([2, 1])),
    ("I.sum()", i64(21)),
    ("(I > 2).sum()", i64(4)),
    ("I > 2", boolean([[False, False, True], [True, True, True]])),
    ("I.float().mean()", f32(3.5)),
    # ----- positional dims: PyTorch's meaning ------------------------------------------------
    ("M.transpose(0, 1)", f32(M_T)),
    ("M.transpose(1, 0)", f32(M_T)),
    ("M.transpose(-1, -2)", f32(M_T)),
    ("tg.transpose(M, 0, 1)", f32(M_T)),
    ("tg.zeros(2, 3, 4).transpose(0, 2).shape", [4, 3, 2]),
    ("M.t()", f32(M_T)),
    ("M.T", f32(M_T)),
    ("M.permute(1, 0)", f32(M_T)),
    ("M.max(1)", [f32([5.0, 6.0]), i64([1, 2])]),
    ("M.max(1)[1]", i64([1, 2])),
    ("_, predicted = M.max(1)\npredicted", i64([1, 2])),
    ("values, indices = M.min(0)\nvalues", f32([1.0, 2.0, 3.0])),
    ("M.min(0)", [f32([1.0, 2.0, 3.0]), i64([0, 1, 0])]),
    ("M.max(dim=1, keepdim=True)[0]", f32([[5.0], [6.0]])),
    ("M.max(1, True).indices", i64([[1], [2]])),
    ("M.max()", f32(6.0)),
    ("tg.max(M, 1)[1]", i64([1, 2])),
    ("tg.max(M, tg.full((2, 3), 4.0))", f32([[4.0, 5.0, 4.0], [4.0, 4.0, 6.0]])),
    ("M.argmax(1)", i64([1, 2])),
    ("M.argmax()", i64(5)),
    ("M.sum(1)", f32([9.0, 12.0])),
    ("M.sum(dim=1, keepdim=True)", f32([[9.0], [12.0]])),
    ("tg.sum(M, 0)", f32([5.0, 7.0, 9.0])),
    ("M.mean(dim=1)", f32([3.0, 4.0])),
    ("tg.mean(M)", f32(3.5)),
    ("tg.softmax(tg.tensor([0.0, 0.0]), dim=0)", f32([0.5, 0.5])),
    (  # no dim: PyTorch's legacy choice, dim=0 for 3-D input (with its deprecation warning)
        "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        "    y = tg.nn.Softmax()(tg.tensor([[[0.0, 1.0]], [[0.0, 1.0]]]))\ny",
        f32([[[0.5, 0.5]], [[0.5, 0.5]]]),
    ),
    # ----- in place: every name for the tensor sees the change --------------------------------
    ("w = tg.ones(2, requires_grad=True)\na = w * 2\nb = a\na += 1\nb.detach()", f32([3.0, 3.0])),
    ("w = tg.ones(2, requires_grad=True)\na = w * 2\na += 1\na.sum().backward()\nw.grad", f32([2.0, 2.0])),
    ("x = tg.zeros(3)\ny = x\nx += 1\ny", f32([1.0, 1.0, 1.0])),
    ("x = tg.ones(2, 2)\nx.add_(1)\nx", f32([[2.0, 2.0], [2.0, 2.0]])),
    ("x = tg.zeros(2, 2)\nx[0, 1] = 5\nx", f32([[0.0, 5.0], [0.0, 0.0]])),
    ("x = tg.arange(6).float()\nx[x > 2] = 0\nx", f32([0.0, 1.0, 2.0, 0.0, 0.0, 0.0])),
    ("x = M.clone()\nx[0] = 9\nx", f32([[9.0, 9.0, 9.0], [4.0, 2.0, 6.0]])),
    ("w = tg.ones(2, requires_grad=True)\nh = w * 3\nh[0] = 0\nh.sum().backward()\nw.grad", f32([0.0, 3.0])),
    ("w = tg.ones(2, requires_grad=True)\nwith tg.no_grad():\n    w -= 0.5 * tg.ones(2)\nw.detach()", f32([0.5, 0.5])),
    ("x = tg.ones(2, requires_grad=True)\n(x * 3).sum().backward()\nx.grad.zero_()\nx.grad", f32([0.0, 0.0])),
    # ----- .data: the array, with the in-place methods old tutorials call on it ------------------
    (
        "w = M.clone().requires_grad_()\n(w * w).sum().backward()\nw.data.sub_(w.grad.data * 0.1)\nw.detach()",
        f32([[0.8, 4.0, 2.4], [3.2, 1.6, 4.8]]),
    ),
    ("w = M.clone().requires_grad_()\n(w * 3).sum().backward()\nw.grad.data.zero_()\nw.grad", f32([[0.0] * 3] * 2)),
    ("w = M.clone()\nw.data -= 0.5 * w\nw", f32([[0.5, 2.5, 1.5], [2.0, 1.0, 3.0]])),
    ("w = M.clone()\nw.data.add_(tg.ones(3), alpha=2).mul_(2)\nw", f32([[6.0, 14.0, 10.0], [12.0, 8.0, 16.0]])),
    ("round(M.data.norm().item(), 4)", 9.5394),
    ("M.data.size()", [2, 3]),
    # ----- grad mode ----------------------------------------------------------------------------
    (
        "tg.set_grad_enabled(False)\ny = tg.ones(2, requires_grad=True) * 2\ntg.set_grad_enabled(True)\n"
        "tg.tensor(y.requires_grad)",
        boolean(False),
    ),
    ("tg.set_grad_enabled(False)\nmode = tg.is_grad_enabled()\ntg.set_grad_enabled(True)\nmode", False),
    ("with tg.set_grad_enabled(False):\n    y = tg.ones(2, requires_grad=True) * 2\ny.requires_grad", False),
    ("with tg.set_grad_enabled(False):\n    pass\ntg.tensor(tg.is_grad_enabled())", boolean(True)),
    ("with tg.no_grad():\n    y = tg.ones(2, requires_grad=True) * 2\ntg.tensor(y.requires_grad)", boolean(False)),
    # ----- statistics, logic, comparisons ------------------------------------------------------
    ("M.std()", f32(1.8708287)),
    ("M.var(0)", f32([4.5, 4.5, 4.5])),
    ("M.var(dim=1, unbiased=False)", f32([8 / 3, 8 / 3])),
    ("tg.tensor([3.0, 4.0]).norm()", f32(5.0)),
    ("M.norm(dim=1)", f32([35**0.5, 56**0.5])),
    ("M.norm(p=1)", f32(21.0)),
    ("(M > 0).all()", boolean(True)),
    ("(M > 5).any()", boolean(True)),
    ("(M > 2).all(dim=0)", boolean([False, False, True])),
    ("tg.allclose(M, M + 1e-9)", True),
    ("tg.equal(M, M.clone())", True),
    ("M.equal(M + 1)", False),
    ("M.masked_fill(M > 3, 0.0)", f32([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0]])),
    ("M.clamp(min=2)", f32([[2.0, 5.0, 3.0], [4.0, 2.0, 6.0]])),
    ("M.clamp(2, 4)", f32([[2.0, 4.0, 3.0], [4.0, 2.0, 4.0]])),
    ("tg.clamp(M, max=3)", f32([[1.0, 3.0, 3.0], [3.0, 2.0, 3.0]])),
    ("tg.where(M > 3, M, tg.zeros_like(M))", f32([[0.0, 5.0, 0.0], [4.0, 0.0, 6.0]])),
    ("tg.where(M > 3, 1, 0)", i64([[0, 1, 0], [1, 0, 1]])),
    ("tg.where(M > 3, 1, 0.5)", f32([[0.5, 1.0, 0.5], [1.0, 0.5, 1.0]])),
    ("tg.where(M > 3, M, 0)", f32([[0.0, 5.0, 0.0], [4.0, 0.0, 6.0]])),
    # ----- tg.* functions -------------------------------------------------------------------------
    ("tg.sin(tg.tensor([0.0]))", f32([0.0])),
    ("tg.cos(tg.linspace(0, 3.1415927, 3))", f32([1.0, 0.0, -1.0])),
    ("tg.exp(tg.tensor([0.0, 1.0]))", f32([1.0, 2.7182817])),
    ("tg.log(tg.tensor([1.0]))", f32([0.0])),
    ("tg.tanh(tg.tensor([0.0]))", f32([0.0])),
    ("tg.sigmoid(tg.tensor([0.0]))", f32([0.5])),
    ("tg.relu(tg.tensor([-1.0, 2.0]))", f32([0.0, 2.0])),
    ("tg.sqrt(tg.tensor([4.0]))", f32([2.0])),
    ("tg.abs(tg.tensor([-1, 2]))", i64([1, 2])),
    ("tg.dot(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0]))", f32(11.0)),
    ("tg.matmul(M, M.t())", f32([[35.0, 32.0], [32.0, 56.0]])),
    ("tg.mm(M, M.T)", f32([[35.0, 32.0], [32.0, 56.0]])),
    ("M @ tg.ones(3)", f32([9.0, 12.0])),
    ("tg.cat([M, M], dim=0).shape", [4, 3]),
    ("tg.stack([M, M]).shape", [2, 2, 3]),
    ("tg.hstack([M, M]).shape", [2, 6]),
    ("tg.vstack([tg.ones(3), M]).shape", [3, 3]),
    ("y = tg.zeros(2, 2)\ntg.matmul(M, M.t(), out=y)\ny", f32([[35.0, 32.0], [32.0, 56.0]])),
    ("y = tg.empty(2, 3)\nz = tg.mul(M, 2, out=y)\nz is y", True),
    ("y = tg.empty(2, 3)\ntg.add(M, 1, out=y)\ny", f32([[2.0, 6.0, 4.0], [5.0, 3.0, 7.0]])),
    ("I.new_ones(2)", i64([1, 1])),
    ("I.eq(I).all()", boolean(True)),
    ("M.gt(3)", boolean([[False, True, False], [True, False, True]])),
    ("M.le(2).sum()", i64(2)),
    ("('a', 'b', 'c')[tg.tensor(2)]", "c"),
    ("list(range(tg.tensor([3])))", [0, 1, 2]),
    ("tg.tensor([[1, 2]]).repeat(2, 2)", i64([[1, 2, 1, 2], [1, 2, 1, 2]])),
    ("tg.tensor([1.0, 2.0]).repeat(2, 1, 2).shape", [2, 1, 4]),
    ("x = tg.tensor([1.0, 2.0], requires_grad=True)\nx.repeat(3).sum().backward()\nx.grad", f32([3.0, 3.0])),
    ("M.new_zeros(2, 1)", f32([[0.0], [0.0]])),
    ("M.new_ones(2, dtype=tg.double)", T([1.0, 1.0], "float64")),
    ("M.new_full((2,), 3)", f32([3.0, 3.0])),
    ("M.new_tensor([1, 2])", f32([1.0, 2.0])),
    # ----- shapes and Python values ---------------------------------------------------------------
    ("M.view(3, 2)", f32([[1.0, 5.0], [3.0, 4.0], [2.0, 6.0]])),
    ("M.view(-1).shape", [6]),
    ("M.unsqueeze(0).shape", [1, 2, 3]),
    ("M.size()", [2, 3]),
    ("M.size(1)", 3),
    ("M.numel()", 6),
    ("M.dim()", 2),
    ("M[:, 1]", f32([5.0, 2.0])),
    ("M[M > 3]", f32([5.0, 4.0, 6.0])),
    ("M.tolist()", [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]),
    ("M[0, 1].item()", 5.0),
    # ----- autograd ---------------------------------------------------------------------------------
    ("x = tg.tensor([2.0], requires_grad=True)\ny = x ** 3\ny.backward()\nx.grad", f32([12.0])),
    ("x = tg.tensor([2.0], requires_grad=True)\n(g,) = tg.autograd.grad((x ** 2).sum(), x)\ng", f32([4.0])),
    ("x = tg.tensor([1.0, 2.0], requires_grad=True)\ntg.autograd.backward((x * x).sum())\nx.grad", f32([2.0, 4.0])),
    ("x = tg.ones(2, requires_grad=True)\ny = (x * 2).sum()\nlen(y.grad_fn.next_functions)", 1),
    ("x = tg.ones(2, requires_grad=True)\ny = x * 2\ny.grad_fn.next_functions[0][0].variable is x", True),
    ("tg.manual_seed(0)\na = tg.rand(2)\ntg.manual_seed(0)\nb = tg.rand(2)\ntg.equal(a, b)", True),
]


def _run(source: str, module: Any) -> Any:
    """Run an idiom with ``tg`` bound to ``module``; the value of its last line."""
    namespace: dict[str, Any] = {"tg": module}
    exec(PREAMBLE, namespace)
    *statements, last = source.split("\n")
    exec("\n".join(statements), namespace)
    return eval(last, namespace)


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.") if not isinstance(dtype, np.dtype) else dtype.name


def _as_plain(result: Any) -> Any:
    """A tensor as T(values, dtype, shape); tuples of tensors and Python values as lists/values."""
    if hasattr(result, "requires_grad") and hasattr(result, "dtype"):  # a tensor, ours or torch's
        values = np.asarray(result.detach().numpy() if hasattr(result, "numpy") else result)
        return T(values, _dtype_name(result.dtype), tuple(result.shape))
    if isinstance(result, tuple):
        return [_as_plain(item) for item in result]
    return result


def _check(got: Any, expected: Any, source: str) -> None:
    if isinstance(expected, T):
        assert isinstance(got, T), f"{source!r}: expected a tensor, got {got!r}"
        assert got.dtype == expected.dtype, f"{source!r}: dtype {got.dtype}, PyTorch gives {expected.dtype}"
        shape = expected.shape if expected.shape is not None else np.shape(expected.values)
        assert got.shape == tuple(shape), f"{source!r}: shape {got.shape}, PyTorch gives {shape}"
        if expected.values is not None:
            np.testing.assert_allclose(got.values, expected.values, rtol=1e-6, atol=1e-6, err_msg=source)
    elif isinstance(expected, list) and expected and isinstance(expected[0], T):
        assert isinstance(got, list) and len(got) == len(expected), f"{source!r}: got {got!r}"
        for part, expected_part in zip(got, expected):
            _check(part, expected_part, source)
    else:
        got = list(got) if isinstance(got, tuple) else got
        assert got == expected and type(got) is type(expected), f"{source!r}: got {got!r}, PyTorch gives {expected!r}"


@pytest.mark.parametrize(("source", "expected"), IDIOMS, ids=[source for source, _ in IDIOMS])
def test_idiom_gives_what_pytorch_gives(source, expected):
    _check(_as_plain(_run(source, tinygrad_edu)), expected, source)
    assert tinygrad_edu.autograd.is_grad_enabled()  # no row leaves graph recording switched off


def test_the_table_covers_enough_idioms():
    assert len(IDIOMS) >= 80


@pytest.mark.parametrize(("source", "expected"), IDIOMS, ids=[source for source, _ in IDIOMS])
def test_pytorch_itself_agrees_with_the_table(source, expected):
    torch = pytest.importorskip("torch")
    _check(_as_plain(_run(source, torch)), expected, source)


# ----- what PyTorch also refuses, refused here with what to write -------------------------------------


def test_an_in_place_change_after_use_is_refused_at_backward():
    tg = tinygrad_edu
    w = tg.ones(2, requires_grad=True)
    a = w * 2
    c = a * a  # Mul saved a
    a += 1
    with pytest.raises(tg.BackwardError, match=r"modified by an in-place operation.*x = x \+"):
        (c + a).sum().backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused_as_in_pytorch():
    tg = tinygrad_edu
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(tg.BackwardError, match=r"no_grad"):
        w += 1
    with pytest.raises(tg.BackwardError, match=r"leaf tensor that requires grad.*no_grad"):
        w[0] = 5.0


def test_a_float_result_is_not_stored_in_an_integer_tensor():
    x = tinygrad_edu.tensor([1, 2])
    with pytest.raises(tinygrad_edu.DTypeError, match=r"x = x \+ y"):
        x += 0.5


def test_devices_other_than_the_cpu_are_refused_in_one_line():
    tg = tinygrad_edu
    for call in (
        lambda: tg.zeros(2, device="cuda"),
        lambda: tg.tensor([1.0], device="mps"),
        lambda: tg.ones(2).to("cuda:0"),
        lambda: tg.set_default_device("cuda"),
        lambda: tg.device("cuda"),
        lambda: tg.Tensor([1.0], device="cuda"),
    ):
        with pytest.raises(RuntimeError, match=r"^device '(cuda|mps)(:0)?': .* on the CPU .*device='cpu'$"):
            call()
    tg.set_default_device("cpu")
    assert tg.get_default_device() == "cpu" and tg.ones(1).device.type == "cpu"
    assert not tg.accelerator.is_available() and tg.accelerator.current_accelerator() is None


def test_a_custom_function_forward_that_calls_a_tensor_method_is_told_it_has_arrays():
    tg = tinygrad_edu

    class MyReLU(tg.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    for needs_grad in (True, False):  # the recorded path and the lean one
        with pytest.raises(AttributeError, match=r"'clamp'") as caught:
            MyReLU.apply(tg.ones(2, requires_grad=needs_grad))
        assert "MyReLU.forward receives NumPy arrays" in caught.value.__notes__[0]
        assert "np.maximum(x, 0)" in caught.value.__notes__[0]
    assert tg.autograd.Function is tg.Function


def test_tensor_arange_agrees_with_tg_arange():
    tg = tinygrad_edu
    assert tg.Tensor.arange(3).dtype == tg.arange(3).dtype == np.int64
    assert tg.Tensor.arange(0, 1, 0.5).dtype == tg.arange(0, 1, 0.5).dtype == np.float32


def test_numpy_keywords_keep_numpy_meaning():
    tg = tinygrad_edu
    m = tg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    np.testing.assert_array_equal(m.max(axis=1).data, [5.0, 6.0])  # values only, as np.max
    np.testing.assert_array_equal(m.transpose(axes=(1, 0)).data, m.data.T)
    np.testing.assert_allclose(m.var(axis=0).data, np.var(m.data, axis=0))  # ddof=0, as np.var
    assert tg.zeros(2, 3, 4).transpose(2, 0, 1).shape == (4, 2, 3)  # a whole permutation, as NumPy


def test_set_grad_enabled_as_a_decorator_acts_only_inside():
    tg = tinygrad_edu

    @tg.set_grad_enabled(False)
    def double(x):
        return x * 2

    assert tg.is_grad_enabled()
    assert not double(tg.ones(1, requires_grad=True)).requires_grad
    assert tg.is_grad_enabled()


def test_pytorch_dtype_names_are_numpy_dtypes():
    tg = tinygrad_edu
    assert (tg.float, tg.double, tg.long, tg.int, tg.bool) == (np.float32, np.float64, np.int64, np.int32, np.bool_)
    assert tg.ones(1).type() == "tinygrad_edu.FloatTensor"
    assert tg.ones(1).type("torch.LongTensor").dtype == np.int64
    with pytest.raises(TypeError, match="default float is float32"):
        tg.set_default_dtype(tg.float64)


def test_float16_that_requires_grad_warns():
    tg = tinygrad_edu
    with pytest.warns(UserWarning, match=r"float16 .* use tg\.float"):
        tg.ones(2, dtype=tg.float16, requires_grad=True)
    with pytest.warns(UserWarning, match=r"float16"):
        tg.ones(2).half().requires_grad_()


def test_thread_choice_waits_for_a_large_product(monkeypatch):
    from tinygrad_edu import threads

    chosen: list[int] = []
    monkeypatch.setattr(threads, "pending", True)
    monkeypatch.setattr(threads, "choose_threads", lambda work: (1, "small"))
    monkeypatch.setattr(threads, "_apply", chosen.append)
    tg = tinygrad_edu
    tg.ones(10, 30) @ tg.ones(30, 10)  # small: no choice yet
    assert threads.pending and chosen == []
    tg.nn.functional.linear(tg.ones(64, 784), tg.ones(128, 784), tg.ones(128))  # 6.4 M multiply-adds
    assert not threads.pending and chosen == [1]
    monkeypatch.setattr(threads, "pending", True)
    tg.set_num_threads(1)
    assert not threads.pending  # the user chose: the library never chooses again


def test_next_functions_walk_back_to_the_leaves():
    tg = tinygrad_edu
    x = tg.ones(2, requires_grad=True)
    y = (x.exp() * 2).sum()
    ((node, _),) = y.grad_fn.next_functions
    assert node.name == "Mul"
    (exp_node, _), (constant, _) = node.next_functions
    assert exp_node.name == "Exp" and constant is None
    ((accumulate, _),) = exp_node.next_functions
    assert accumulate.variable is x and accumulate.next_functions == ()


def test_idioms_run_in_a_fresh_namespace():
    assert isinstance(tinygrad_edu, types.ModuleType) and "M" not in vars(tinygrad_edu)


def _in_place_then_scaled(x):
    y = x * 1.5
    y += x  # in a graph: y becomes 2.5 x
    y[0] = 0.0  # and its first row is cut off from x
    return y * x


@pytest.mark.parametrize(
    "function",
    [
        lambda x: x.var(),
        lambda x: x.var(1, keepdim=True),
        lambda x: x.std(0),
        lambda x: x.var(axis=1),
        lambda x: x.norm(),
        lambda x: x.norm(dim=1),
        lambda x: x.norm(p=1, dim=0),
        lambda x: x.norm(p=3),
        lambda x: x.masked_fill(x > 0, 2.0),
        _in_place_then_scaled,
    ],
)
def test_the_new_compositions_have_the_right_gradient(function):
    rng = np.random.default_rng(3)
    x = tinygrad_edu.Tensor(rng.normal(size=(3, 4)) + 0.5, requires_grad=True)  # float64, away from 0
    assert tinygrad_edu.gradcheck(function, [x])
