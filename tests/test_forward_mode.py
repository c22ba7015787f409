"""Forward mode: tg.jvp (the contract of torch.func.jvp) and tg.jacobian by columns or by rows.

Every built-in op's jvp is checked row by row in tests/test_ops.py; here: the API, the ops
that table does not reach (losses, ties, scatter-add, tangents on only some inputs), and
Jacobians built both ways agreeing with central differences.
"""

import numpy as np
import pytest
from test_autograd import Cube  # y = x³ with forward and backward only, no jvp

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops.movement import IndexAdd


def central_difference(fn, arrays, tangents, eps=1e-6):
    plus = fn(*[Tensor(x + eps * t) for x, t in zip(arrays, tangents)]).data
    minus = fn(*[Tensor(x - eps * t) for x, t in zip(arrays, tangents)]).data
    return (plus - minus) / (2 * eps)


def numerical_jacobian(fn, x, eps=1e-6):
    columns = []
    for index in range(x.size):
        direction = np.zeros(x.size)
        direction[index] = 1
        columns.append(central_difference(fn, [x], [direction.reshape(x.shape)], eps).reshape(-1))
    output_shape = fn(Tensor(x)).shape
    return np.stack(columns, axis=-1).reshape(output_shape + x.shape)


# ----- the contract of torch.func.jvp ---------------------------------------------------------


def test_one_tensor_in_one_tensor_out():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    output, tangent = tg.jvp(lambda x: (x * x).sin(), x, Tensor(np.array([1.0, 0.5])))
    assert isinstance(output, Tensor) and isinstance(tangent, Tensor)
    np.testing.assert_allclose(output.data, np.sin([1.0, 4.0]))
    np.testing.assert_allclose(tangent.data, np.cos([1.0, 4.0]) * 2 * np.array([1.0, 2.0]) * [1.0, 0.5])
    assert not output.requires_grad and output.grad_fn is None  # no graph is handed back
    assert x.grad is None  # and nothing is accumulated anywhere


def test_tuples_in_and_out():
    a = Tensor(np.array([1.0, 2.0, 3.0]))
    b = Tensor(np.array([0.5, -1.0, 2.0]))
    outputs, tangents = tg.jvp(
        lambda a, b: (a * b, a + b, (a / b).sum()),
        (a, b),
        (Tensor(np.ones(3)), Tensor(np.array([0.0, 1.0, 0.0]))),
    )
    assert isinstance(outputs, tuple) and isinstance(tangents, tuple) and len(tangents) == 3
    np.testing.assert_allclose(tangents[0].data, b.data + a.data * [0.0, 1.0, 0.0])
    np.testing.assert_allclose(tangents[1].data, [1.0, 2.0, 1.0])
    expected = np.sum(1 / b.data - a.data * np.array([0.0, 1.0, 0.0]) / b.data**2)
    assert tangents[2].item() == pytest.approx(expected)


def test_an_output_that_does_not_depend_on_the_inputs_has_a_zero_tangent():
    x = Tensor(np.array([1.0, 2.0]))
    outputs, tangents = tg.jvp(lambda x: (x * 2, Tensor(np.ones(3))), (x,), (Tensor(np.ones(2)),))
    np.testing.assert_array_equal(tangents[0].data, [2.0, 2.0])
    np.testing.assert_array_equal(tangents[1].data, np.zeros(3))


def test_the_identity_function_hands_the_tangent_back():
    x = Tensor(np.array([1.0, 2.0]))
    _, tangent = tg.jvp(lambda x: x, x, Tensor(np.array([3.0, 4.0])))
    np.testing.assert_array_equal(tangent.data, [3.0, 4.0])


def test_tensors_fn_closes_over_have_no_tangent():
    rng = np.random.default_rng(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 5), tg.nn.Tanh(), tg.nn.Linear(5, 3))
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    x = rng.normal(size=(2, 4))
    v = rng.normal(size=(2, 4))
    _, tangent = tg.jvp(model, Tensor(x), Tensor(v))
    np.testing.assert_allclose(tangent.data, central_difference(model, [x], [v]), rtol=1e-6, atol=1e-8)
    assert all(parameter.grad is None for parameter in model.parameters())


def test_float32_stays_float32():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32))
    output, tangent = tg.jvp(lambda x: x.exp() * 3, x, Tensor(np.array([1.0, 1.0], dtype=np.float32)))
    assert output.dtype == np.float32 and tangent.dtype == np.float32


def test_a_long_chain_needs_no_recursion():
    x = Tensor(np.array(0.5))
    _, tangent = tg.jvp(lambda x: _chain(x, 20_000), x, Tensor(np.array(1.0)))
    assert tangent.item() == pytest.approx(1.0001**20_000)


def _chain(x, length):
    for _ in range(length):
        x = x * 1.0001
    return x


def test_bad_arguments_get_clear_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(tg.ShapeError, match=r"tangent 0 has shape \(3,\) but input 0 has shape \(2, 3\)"):
        tg.jvp(lambda x: x * 2, x, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="2 inputs but 1 tangents"):
        tg.jvp(lambda a, b: a * b, (x, x), (Tensor(np.ones((2, 3))),))
    with pytest.raises(TypeError, match="only floating-point inputs have tangents"):
        tg.jvp(lambda i: i * 2, Tensor(np.arange(3)), Tensor(np.ones(3)))
    with pytest.raises(TypeError, match="must return a Tensor"):
        tg.jvp(lambda x: x.data, x, Tensor(np.ones((2, 3))))
    with pytest.raises(TypeError, match="give Tensors"):
        tg.jvp(lambda x: x, np.ones(3), Tensor(np.ones(3)))


# ----- a user op without jvp -------------------------------------------------------------------


def test_an_op_without_jvp_is_named_in_the_error():
    x = Tensor(np.array([1.0, 2.0]))
    with pytest.raises(NotImplementedError) as caught:
        tg.jvp(lambda x: Cube.apply(x.exp()).sum(), x, Tensor(np.ones(2)))
    message = str(caught.value)
    assert message == "Cube has no jvp(ctx, *input_tangents): forward mode needs one; see docs/adding_an_op.md"
    with pytest.raises(NotImplementedError, match="Cube has no jvp"):
        tg.jacobian(lambda x: Cube.apply(x), x, mode="forward")
    np.testing.assert_allclose(tg.jacobian(lambda x: Cube.apply(x), x).data, np.diag([3.0, 12.0]))  # reverse works


# ----- ops and cases the op table does not reach ---------------------------------------------

TARGETS = np.array([2, 0, 1, 2])
RNG = np.random.default_rng(7)
PROBABILITY_TARGETS = RNG.uniform(0.0, 1.0, (4, 3))
W, B, X, C = RNG.normal(size=(2, 3)), RNG.normal(size=2), RNG.normal(size=(4, 3)), RNG.normal(size=(3, 4))

CASES = {
    "cross_entropy-mean": (lambda x: F.cross_entropy(x, TARGETS), [(4, 3)]),
    "cross_entropy-sum": (lambda x: F.cross_entropy(x, TARGETS, reduction="sum"), [(4, 3)]),
    "cross_entropy-none": (lambda x: F.cross_entropy(x, TARGETS, reduction="none"), [(4, 3)]),
    "cross_entropy-smoothing": (lambda x: F.cross_entropy(x, TARGETS, label_smoothing=0.2), [(4, 3)]),
    "nll_loss": (lambda x: F.nll_loss(x.log_softmax(axis=1), TARGETS), [(4, 3)]),
    "binary_cross_entropy": (lambda p, y: F.binary_cross_entropy(p, y), [(4, 3), (4, 3)]),
    "binary_cross_entropy-p": (lambda p: F.binary_cross_entropy(p, Tensor(PROBABILITY_TARGETS)), [(4, 3)]),
    "bce_with_logits": (lambda x: F.binary_cross_entropy_with_logits(x, Tensor(PROBABILITY_TARGETS)), [(4, 3)]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [(4, 3), (4, 3)]),
    "linear-3d": (lambda x, w, b: F.linear(x, w, b), [(2, 4, 3), (5, 3), (5,)]),
    "linear-x-only": (lambda x: F.linear(x, Tensor(W), Tensor(B)), [(4, 3)]),
    "linear-weight-only": (lambda w: F.linear(Tensor(X), w), [(2, 3)]),
    "broadcast-one-tangent": (lambda a: a + Tensor(C), [(3, 1)]),
    "broadcast-both": (lambda a, b: a * b - b / (a * a + 1), [(3, 1), (4,)]),
    "broadcast-pow": (lambda a, b: (a * a + 1) ** b, [(2, 1, 3), (4, 1)]),
    "where-one-side": (lambda a: tg.where(np.array([True, False, True]), a, 5.0), [(2, 3)]),
    "matmul-batched-broadcast": (lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    "index_add": (lambda v: IndexAdd.apply(v, index=(np.array([0, 2, 0, 1]),), shape=(3, 2)), [(4, 2)]),
    "concatenate-constant": (lambda a: tg.concatenate([a, Tensor(np.ones((1, 3))), a * 2]), [(2, 3)]),
    "stack-three": (lambda a, b: tg.stack([a, b, a * b], axis=1), [(2, 3), (2, 3)]),
    "fan-out": (lambda a: (a * a).sum() * a + a.exp(), [(3,)]),
}


@pytest.mark.parametrize("name", CASES)
def test_jvp_matches_central_differences(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(1)
    if name.startswith("binary_cross_entropy"):
        arrays = [rng.uniform(0.1, 0.9, shape) for shape in shapes]
    else:
        arrays = [rng.standard_normal(shape) for shape in shapes]
    tangents = [rng.standard_normal(shape) for shape in shapes]
    output, output_tangent = tg.jvp(fn, tuple(Tensor(a) for a in arrays), tuple(Tensor(t) for t in tangents))
    assert output_tangent.shape == output.shape
    expected = central_difference(fn, arrays, tangents)
    np.testing.assert_allclose(output_tangent.data, expected, rtol=1e-6, atol=1e-8)
    # and the adjoint identity ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ against the op's backward
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    u = rng.standard_normal(output.shape)
    vjp = tg.grad(fn(*inputs), inputs, grad_outputs=u)
    assert np.sum(output_tangent.data * u) == pytest.approx(sum(np.sum(t * g.data) for t, g in zip(tangents, vjp)))


def test_ties_share_the_tangent_as_backward_shares_the_gradient():
    """At a tie the engine's backward splits the gradient equally; forward mode takes the mean
    of the tied tangents, which is exactly the transpose of that rule."""
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]))
    v = np.array([[5.0, 1.0, 2.0], [4.0, 9.0, 8.0]])
    _, max_tangent = tg.jvp(lambda x: x.max(axis=1), x, Tensor(v))
    np.testing.assert_array_equal(max_tangent.data, [1.5, 6.0])
    _, min_tangent = tg.jvp(lambda x: x.min(), x, Tensor(v))
    assert min_tangent.item() == 9.0
    a = Tensor(np.array([1.0, 2.0, 3.0]))
    b = Tensor(np.array([1.0, 5.0, 0.0]))
    _, maximum_tangent = tg.jvp(lambda a, b: a.maximum(b), (a, b), (Tensor(np.ones(3)), Tensor(np.full(3, 3.0))))
    np.testing.assert_array_equal(maximum_tangent.data, [2.0, 3.0, 1.0])
    for fn, inputs, tangents in [
        (lambda x: x.max(axis=1), (x,), (v,)),
        (lambda x: x.min(), (x,), (v,)),
        (lambda a, b: a.maximum(b), (a, b), (np.ones(3), np.full(3, 3.0))),
    ]:
        _, jv = tg.jvp(fn, inputs, tuple(Tensor(t) for t in tangents))
        leaves = [Tensor(t.data, requires_grad=True) for t in inputs]
        u = np.random.default_rng(0).standard_normal(jv.shape)
        vjp = tg.grad(fn(*leaves), leaves, grad_outputs=u)
        assert np.sum(jv.data * u) == pytest.approx(sum(np.sum(t * g.data) for t, g in zip(tangents, vjp)))


# ----- Jacobians by columns and by rows ----------------------------------------------------------


@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda x: (x * x).sin(), (3,)),
        (lambda x: x.softmax(axis=1), (2, 3)),
        (lambda x: (x @ x.T).tanh(), (2, 3)),
        (lambda x: x.sum() * x[::-1], (4,)),
        (lambda x: F.cross_entropy(x, np.array([1, 0])), (2, 3)),
    ],
)
def test_jacobian_forward_equals_reverse_equals_numerical(fn, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    forward = tg.jacobian(fn, Tensor(x), mode="forward")
    reverse = tg.jacobian(fn, Tensor(x), mode="reverse")
    expected = numerical_jacobian(fn, x)
    assert forward.shape == reverse.shape == fn(Tensor(x)).shape + shape
    np.testing.assert_allclose(forward.data, reverse.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(forward.data, expected, rtol=1e-6, atol=1e-8)


def test_jacobian_of_several_inputs():
    rng = np.random.default_rng(3)
    x, w = Tensor(rng.normal(size=(2, 3))), Tensor(rng.normal(size=(3, 4)))
    forward = tg.jacobian(lambda x, w: x @ w, (x, w), mode="forward")
    reverse = tg.jacobian(lambda x, w: x @ w, (x, w), mode="reverse")
    assert [j.shape for j in forward] == [(2, 4, 2, 3), (2, 4, 3, 4)]
    for a, b in zip(forward, reverse):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
    # ∂(xw)ᵢⱼ/∂xₖₗ = [i = k] wₗⱼ
    np.testing.assert_allclose(forward[0].data[1, 2, 1, :], w.data[:, 2])
    np.testing.assert_allclose(forward[0].data[1, 2, 0, :], 0.0)


def test_jacobian_mode_is_checked():
    with pytest.raises(ValueError, match="mode must be 'forward' or 'reverse', got 'sideways'"):
        tg.jacobian(lambda x: x, Tensor(np.ones(2)), mode="sideways")


def test_forward_over_reverse_gives_hessian_vector_products():
    """jvp of a gradient taken with create_graph=True: H·v, without forming H."""
    rng = np.random.default_rng(4)
    weight = Tensor(rng.normal(size=(3, 4)))
    targets = np.array([0, 2, 1])

    def gradient(x):
        loss = F.cross_entropy((x @ weight).tanh(), targets)
        (g,) = tg.grad(loss, x, create_graph=True)
        return g

    x, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    _, hessian_v = tg.jvp(gradient, Tensor(x), Tensor(v))
    eps = 1e-6
    plus = gradient(Tensor(x + eps * v, requires_grad=True)).data
    minus = gradient(Tensor(x - eps * v, requires_grad=True)).data
    np.testing.assert_allclose(hessian_v.data, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)
