"""check_op: every built-in op passes every contract; a wrong op fails with a report that says why."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function
from tinygrad_edu.debug.check_op import check_op
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops import ALL_OPS
from tinygrad_edu.ops.elementwise import Exp, Mul

TARGETS = np.array([2, 0, 1, 2])

# (name, fn, shapes, options): every row of the op table (tinygrad_edu.ops.ALL_OPS) that has an
# example, then calls that combine ops or take other paths through them.
BUILT_IN_OPS = [(row.name, row.example, list(row.shapes), row.options) for row in ALL_OPS if row.example] + [
    ("sum", lambda x: x.sum(axis=1), [(2, 3)], {}),
    ("mean", lambda x: x.mean(axis=0), [(2, 3)], {}),
    ("min", lambda x: x.min(), [(2, 3)], {}),
    ("flatten", lambda x: x.flatten(), [(2, 3)], {}),
    ("getitem slice", lambda x: x[1:, ::2], [(3, 4)], {}),
    ("getitem mask", lambda x: x[np.array([True, False, True])], [(3, 2)], {}),
    ("matmul batched", lambda a, b: a @ b, [(2, 2, 3), (3, 4)], {"broadcast": False}),
    ("matmul vector", lambda a, b: a @ b, [(3,), (3, 2)], {"broadcast": False}),
    ("where", lambda a, b: tg.where(a > 0, a, b), [(2, 3), (3,)], {}),
    ("concatenate", lambda a, b: tg.concatenate([a, b], axis=1), [(2, 3), (2, 1)], {"broadcast": False}),
    ("stack", lambda a, b: tg.stack([a, b], axis=0), [(2, 3), (2, 3)], {"broadcast": False}),
    ("cross_entropy", lambda x: F.cross_entropy(x, TARGETS), [(4, 3)], {}),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), [(4, 3), (4, 3)], {"broadcast": False}),
    ("binary_cross_entropy", lambda p: F.binary_cross_entropy(p, [0.0, 1.0, 1.0]), [(3,)], {"domain": "probability"}),
]


@pytest.mark.parametrize("name, fn, shapes, options", BUILT_IN_OPS, ids=[row[0] for row in BUILT_IN_OPS])
def test_every_built_in_op_passes(name, fn, shapes, options):
    report = check_op(fn, *shapes, examples=8, name=name, **options)
    assert report.ok, str(report)
    assert report["gradcheck"].status == "passed"
    assert report["gradgradcheck"].status == "passed"
    assert report["jvp"].status == "passed"
    assert report["jvp vs backward"].status == "passed"
    if len(shapes) >= 2 and options.get("broadcast", True):
        assert report["broadcasting"].status == "passed"


class SoftplusWrongBackward(Function):
    """softplus(x) = ln(1 + eˣ), with the derivative of ... eˣ instead of σ(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.exp()


def test_a_wrong_backward_fails_gradcheck_with_the_reason():
    report = check_op(lambda x: SoftplusWrongBackward.apply(x), (2, 3), name="softplus")
    assert not report.ok
    assert report["forward runs"].status == "passed"
    assert report["gradient shapes"].status == "passed"
    assert report["gradcheck"].status == "FAILED"
    assert "analytic" in report["gradcheck"].detail and "numerical" in report["gradcheck"].detail
    text = str(report)
    assert text.startswith("check_op(softplus) on shapes (2, 3): FAILED")
    assert "FAILED    gradcheck" in text


class UpcastingMul(Function):
    """a·b that computes in float64 whatever it is given: breaks the dtype contract."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.astype(np.float64) * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a


class NoBroadcastAdd(Function):
    """a + b whose backward forgets that the engine only unbroadcasts gradients it is given
    shaped like the output: it returns the wrong shape for a broadcast input."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output.sum()


def test_a_dtype_change_is_reported():
    report = check_op(lambda a, b: UpcastingMul.apply(a, b), (3,), (3,), examples=5)
    assert report["float32 -> float32"].status == "FAILED"
    assert "float64" in report["float32 -> float32"].detail
    assert report["float64 -> float64"].status == "passed"


def test_a_broadcasting_bug_is_found_by_the_fuzz_with_the_shapes():
    report = check_op(lambda a, b: NoBroadcastAdd.apply(a, b), (3,), (3,), examples=20, second_order=False)
    assert report["gradcheck"].status == "FAILED"  # Σ over all elements is wrong even without broadcasting
    assert report["broadcasting"].status == "FAILED"
    assert "input shapes" in report["broadcasting"].detail


class MulForgetsOneTangent(Mul):
    """The built-in a·b, with a jvp that forgets the ȧ·b term."""

    @staticmethod
    def jvp(ctx, a_dot, b_dot):
        a, b = ctx.saved_tensors
        return a * b_dot


def test_a_wrong_jvp_fails_with_the_element_and_which_side_to_fix():
    report = check_op(lambda a, b: MulForgetsOneTangent.apply(a, b), (2, 3), (2, 3), examples=5, name="mul")
    assert not report.ok
    assert report["gradcheck"].status == "passed"
    assert report["jvp"].status == "FAILED"
    assert "wrong at output element" in report["jvp"].detail and "central differences" in report["jvp"].detail
    assert report["jvp vs backward"].status == "FAILED"
    assert "fix jvp" in report["jvp vs backward"].detail
    assert report["broadcasting"].status == "FAILED"  # the fuzz checks the jvp too


class ExpWrongBackward(Exp):
    """The built-in eˣ (its jvp is right), with a backward that forgets grad_output."""

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return y + 0 * grad_output


def test_when_jvp_is_right_and_backward_wrong_the_report_says_fix_backward():
    report = check_op(lambda x: ExpWrongBackward.apply(x), (3,), name="exp")
    assert report["gradcheck"].status == "FAILED"
    assert report["jvp"].status == "passed"
    assert "fix backward" in report["jvp vs backward"].detail


def test_an_op_without_jvp_has_the_jvp_checks_skipped_with_the_reason():
    report = check_op(lambda x: SoftplusWrongBackward.apply(x), (2, 3), name="softplus")
    assert report["jvp"].status == "skipped"
    assert report["jvp"].detail.startswith("SoftplusWrongBackward has no jvp(ctx, *input_tangents)")
    assert report["jvp vs backward"].status == "skipped"
    assert check_op(lambda x: x.exp(), (2,), forward_mode=False)["jvp"].detail == "forward_mode=False"


class NumpySquare(Function):
    """x² whose backward returns a NumPy array: right first derivative, no second."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * grad_output.data * x.data


class DataSquare(NumpySquare):
    """x² whose backward computes with .data and wraps the result in a Tensor."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return tg.Tensor(2 * grad_output.data * x.data)


class CtxSquare(Function):
    """x² that keeps its input on ctx instead of save_for_backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output * ctx.x


@pytest.mark.parametrize(
    "op, cause",
    [
        (NumpySquare, "NumpySquare.backward returns a NumPy ndarray for input 0"),
        (DataSquare, "does not depend on grad_output as far as the engine can see"),
        (CtxSquare, "A value kept on ctx (ctx.x = x)"),
    ],
)
def test_second_derivatives_of_zero_get_a_hint_naming_the_likely_cause(op, cause):
    report = check_op(lambda x: op.apply(x), (2, 3))
    assert report["gradcheck"].status == "passed"
    detail = report["gradgradcheck"].detail
    assert report["gradgradcheck"].status == "FAILED" and "analytic 0" in detail
    assert "likely cause: " + op.__name__ in detail and cause in detail


def test_gradgradcheck_itself_names_the_likely_cause():
    x = tg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match=r"analytic 0(.|\n)*likely cause: CtxSquare.backward"):
        tg.gradgradcheck(lambda x: CtxSquare.apply(x), [x])
    assert tg.gradgradcheck(lambda x: (x * x).exp(), [x])


def test_shapes_and_domains_are_validated():
    with pytest.raises(ValueError, match="one shape per input"):
        check_op(lambda x: x)
    with pytest.raises(ValueError, match="unknown domain"):
        check_op(lambda x: x.exp(), (2,), domain="complex")


# ----- docs/adding_an_op.md and examples/softplus_op.py run -----------------------------------

REPO = Path(__file__).resolve().parent.parent


def code_blocks(markdown, language):
    return re.findall(rf"^```{language}\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


def test_the_adding_an_op_walkthrough_runs_and_shows_its_real_output(capsys):
    markdown = (REPO / "docs" / "adding_an_op.md").read_text(encoding="utf-8")
    program = "\n".join(code_blocks(markdown, "python"))
    exec(compile(program, "adding_an_op.md", "exec"), {"__name__": "adding_an_op"})
    printed = capsys.readouterr().out
    shown = code_blocks(markdown, "text")
    check_op_reports = [block for block in shown if block.startswith("check_op(")]
    assert len(check_op_reports) == 3
    for block in check_op_reports:  # pasted verbatim from a real run
        assert block in printed
    assert "first failure: SoftplusWrong (op 2)" in printed


def test_the_softplus_example_script_runs():
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "softplus_op.py")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "check_op(softplus) on shapes (3, 4): OK" in result.stdout
    assert "check_op(softplus_wrong) on shapes (3, 4): FAILED" in result.stdout
    example = (REPO / "examples" / "softplus_op.py").read_text(encoding="utf-8")
    markdown = (REPO / "docs" / "adding_an_op.md").read_text(encoding="utf-8")
    for block in code_blocks(markdown, "python"):  # the doc is the example, in pieces
        for line in block.strip().splitlines():
            assert line in example, line


def test_a_kink_report_says_what_its_one_sided_slopes_are():
    """ReLU at 0 has slopes 0 and 1; the report shows 0 and v[0], the random upstream weight, and says so."""
    z = tg.Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, name="z")
    report = tg.check_graph(lambda z: (z.relu() * 3).sum(), z)
    text = str(report)
    assert "from the right" in text
    assert "weighted by the random upstream gradient v" in text and "0 and the v of that element" in text
