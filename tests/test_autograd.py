"""The engine's semantics: accumulation, reuse, backward twice, no_grad, detach, grad(),
higher-order derivatives, user-defined Functions, backward_steps, numerics and anomaly mode."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import AnomalyError, BackwardError, Function, Tensor


def leaf(values, name=None) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


class TestChainRule:
    def test_reuse_adds_gradients(self):
        a = leaf([1.0, -2.0, 3.0])
        b = a + a  # b = 2a
        c = b * b  # c = 4a², dc/da = 8a
        c.sum().backward()
        np.testing.assert_allclose(a.grad.data, 8 * a.data)

    def test_same_tensor_twice_in_one_op(self):
        a = leaf([3.0])
        (a * a).backward()
        np.testing.assert_allclose(a.grad.data, [6.0])

    def test_leaf_gradients_accumulate_until_zeroed(self):
        x = leaf([1.0, 2.0])
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        np.testing.assert_allclose(x.grad.data, [6.0, 6.0])
        x.grad = None
        (x * 3).sum().backward()
        np.testing.assert_allclose(x.grad.data, [3.0, 3.0])

    def test_sibling_leaves_do_not_share_gradient_storage(self):
        # Add hands the same gradient to both inputs; accumulating into one must not change the other.
        a, b = leaf([1.0]), leaf([2.0])
        (a + b).sum().backward()
        (a * 5).sum().backward()
        np.testing.assert_allclose(a.grad.data, [6.0])
        np.testing.assert_allclose(b.grad.data, [1.0])

    def test_only_leaves_get_grad_unless_retained(self):
        x = leaf([1.0, 2.0])
        hidden = x * 2
        kept = hidden * 3
        kept.retain_grad()
        (kept * kept).sum().backward()
        assert hidden.grad is None
        np.testing.assert_allclose(kept.grad.data, 2 * kept.data)

    def test_gradient_argument(self):
        x = leaf([1.0, 2.0, 3.0])
        y = x * x
        y.backward(gradient=np.array([1.0, 0.5, -1.0]))
        np.testing.assert_allclose(x.grad.data, 2 * x.data * [1.0, 0.5, -1.0])

    def test_gradient_of_a_float32_leaf_is_float32(self):
        x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        (x * np.arange(3.0)).sum().backward()  # the float64 constant makes a float64 graph
        assert x.grad.dtype == np.float32

    def test_constants_get_no_gradient(self):
        x, c = leaf([1.0]), Tensor(np.array([2.0]))
        (x * c).backward()
        assert c.grad is None


class TestBackwardErrors:
    def test_non_scalar_needs_a_gradient(self):
        y = leaf([1.0, 2.0, 3.0]) * 2
        with pytest.raises(BackwardError, match=r"shape \(3,\) needs a gradient.*loss\.sum\(\)\.backward\(\)"):
            y.backward()

    def test_tensor_that_does_not_require_grad(self):
        with pytest.raises(BackwardError, match="does not require grad"):
            Tensor([1.0]).sum().backward()

    def test_second_backward_through_freed_graph(self):
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        y.backward()
        with pytest.raises(BackwardError, match="retain_graph=True"):
            y.backward()

    def test_retain_graph_allows_a_second_backward(self):
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.data, 4 * x.data)

    def test_gradient_shape_must_match(self):
        y = leaf([1.0, 2.0]) * 2
        with pytest.raises(BackwardError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
            y.backward(np.ones(3))


class TestGradMode:
    def test_no_grad_context_records_nothing(self):
        x = leaf([1.0])
        with tg.no_grad():
            y = x * 2
        assert not y.requires_grad and y.grad_fn is None
        assert (x * 2).requires_grad  # back on afterwards

    def test_no_grad_decorator(self):
        @tg.no_grad()
        def double(t):
            return t * 2

        assert not double(leaf([1.0])).requires_grad

    def test_enable_grad_inside_no_grad(self):
        x = leaf([1.0])
        with tg.no_grad():
            with tg.enable_grad():
                assert (x * 2).requires_grad
            assert not (x * 2).requires_grad

    def test_detach_cuts_the_graph_and_shares_memory(self):
        x = leaf([1.0, 2.0])
        d = x.detach()
        assert not d.requires_grad and d.grad_fn is None and d._data is x._data
        y = (x * d).sum()  # d is a constant here: dy/dx = d
        y.backward()
        np.testing.assert_allclose(x.grad.data, [1.0, 2.0])

    def test_detached_copy_used_with_original(self):
        # x and x.detach() share one array; the op must still tell them apart.
        x = leaf([3.0])
        y = x * x.detach()
        y.backward()
        np.testing.assert_allclose(x.grad.data, [3.0])


class TestGradFunction:
    def test_returns_tuple_and_leaves_grad_untouched(self):
        x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        gx, gw = tg.grad((x * w).sum(), [x, w])
        np.testing.assert_allclose(gx.data, w.data)
        np.testing.assert_allclose(gw.data, x.data)
        assert x.grad is None and w.grad is None

    def test_non_leaf_input(self):
        x = leaf([1.0, 2.0])
        h = x * 3
        (gh,) = tg.grad((h * h).sum(), h)
        np.testing.assert_allclose(gh.data, 2 * h.data)

    def test_unused_input(self):
        x, unused = leaf([1.0]), leaf([2.0])
        with pytest.raises(BackwardError, match="allow_unused=True"):
            tg.grad(x * 2, [x, unused])
        gx, gu = tg.grad(x * 2, [x, unused], allow_unused=True)
        assert gu is None and gx.item() == 2.0

    def test_input_must_require_grad(self):
        with pytest.raises(BackwardError, match="does not require grad"):
            tg.grad(leaf([1.0]) * 2, Tensor([1.0]))

    def test_several_outputs(self):
        x = leaf([1.0, 2.0])
        (gx,) = tg.grad([x.sum(), (x * x).sum()], x)
        np.testing.assert_allclose(gx.data, 1 + 2 * x.data)


class TestHigherOrder:
    @pytest.mark.parametrize(
        "method, second",
        [
            ("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
            ("sigmoid", lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
            ("exp", np.exp),
            ("log", lambda x: -1 / x**2),
            ("sin", lambda x: -np.sin(x)),
        ],
    )
    def test_second_derivatives(self, method, second):
        x = leaf([0.3, 0.9, 1.7])
        (first,) = tg.grad(getattr(x, method)().sum(), x, create_graph=True)
        assert first.requires_grad
        (hessian_diagonal,) = tg.grad(first.sum(), x)
        np.testing.assert_allclose(hessian_diagonal.data, second(x.data), rtol=1e-10)

    def test_third_derivative(self):
        x = leaf([0.5, -1.0])
        (d1,) = tg.grad((x**4).sum(), x, create_graph=True)
        (d2,) = tg.grad(d1.sum(), x, create_graph=True)
        (d3,) = tg.grad(d2.sum(), x)
        np.testing.assert_allclose(d3.data, 24 * x.data)

    def test_hessian_vector_product(self):
        rng = np.random.default_rng(0)
        A = rng.standard_normal((4, 4))
        x = leaf(rng.standard_normal(4))
        v = rng.standard_normal(4)

        def f(t):  # f(x) = Σ tanh(Ax) + ½ xᵀx ; H = Aᵀ diag(tanh'') A + I
            return (Tensor(A) @ t).tanh().sum() + 0.5 * (t * t).sum()

        (g,) = tg.grad(f(x), x, create_graph=True)
        (hvp,) = tg.grad((g * Tensor(v)).sum(), x)
        z = A @ x.data
        hessian = A.T @ np.diag(-2 * np.tanh(z) * (1 - np.tanh(z) ** 2)) @ A + np.eye(4)
        np.testing.assert_allclose(hvp.data, hessian @ v, rtol=1e-10)

    def test_backward_with_create_graph_gives_differentiable_grad(self):
        x = leaf([2.0])
        (x**3).backward(create_graph=True)
        assert x.grad.requires_grad
        (second,) = tg.grad(x.grad, x)
        np.testing.assert_allclose(second.data, 6 * x.data)

    def test_first_order_backward_records_no_graph(self):
        x = leaf([2.0])
        (x**3).backward()
        assert not x.grad.requires_grad and x.grad.grad_fn is None


class Cube(Function):
    """y = x³, ∂L/∂x = ∂L/∂y · 3x²: a user op, written like the built-in ones (no jvp: tests/test_forward_mode.py
    uses it as an op forward mode cannot go through)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x * x


class ScaledAdd(Function):
    """y = a + s·b with a setting s; records which inputs asked for gradients."""

    seen_needs: tuple[bool, ...] = ()

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        return a + scale * b

    @staticmethod
    def backward(ctx, grad_output):
        ScaledAdd.seen_needs = ctx.needs_input_grad
        grad_b = grad_output * ctx.scale if ctx.needs_input_grad[1] else None
        return grad_output, grad_b


class TestUserFunctions:
    def test_saved_tensors_are_the_inputs(self):
        x = leaf([1.0, 2.0])
        y = Cube.apply(x)
        assert y.grad_fn.function is Cube
        assert y.grad_fn.saved_tensors[0] is x

    def test_user_op_passes_gradcheck_and_gradgradcheck(self):
        x = leaf([0.5, -1.5, 2.0])
        assert tg.gradcheck(Cube.apply, [x])
        assert tg.gradgradcheck(Cube.apply, [x])

    def test_settings_and_needs_input_grad(self):
        a, b = leaf([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
        y = ScaledAdd.apply(a, b, scale=2.0)
        np.testing.assert_allclose(y.data, [7.0, 10.0])
        y.sum().backward()
        assert ScaledAdd.seen_needs == (True, False)
        np.testing.assert_allclose(a.grad.data, [1.0, 1.0])

    def test_apply_accepts_arrays_and_numbers(self):
        y = ScaledAdd.apply(leaf([1.0]), 2.0, scale=3.0)
        assert y.item() == 7.0

    def test_wrong_number_of_gradients(self):
        class Broken(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output

        with pytest.raises(BackwardError, match="returned 1 gradients but the op has 2 inputs"):
            Broken.apply(leaf([1.0]), leaf([2.0])).backward()

    def test_wrongly_shaped_gradient(self):
        class Broken(Function):
            @staticmethod
            def forward(ctx, a):
                return a.sum()

            @staticmethod
            def backward(ctx, grad_output):
                return Tensor(np.ones(5))

        with pytest.raises(BackwardError, match=r"Broken.backward returned a gradient of shape \(5,\)"):
            Broken.apply(leaf([1.0, 2.0])).backward()


class TestBackwardSteps:
    def test_one_step_per_op_in_reverse_order(self):
        a, b = leaf([2.0], "a"), leaf([-3.0], "b")
        c = leaf([10.0], "c")
        e = a * b
        d = e + c
        out = d.tanh()
        steps = list(tg.backward_steps(out))
        assert [s.function.__name__ for s in steps] == ["Tanh", "Add", "Mul"]
        tanh_step, add_step, mul_step = steps
        assert tanh_step.output is out and tanh_step.inputs == (d,)
        assert add_step.grad_output.data == pytest.approx(1 - np.tanh(4.0) ** 2)
        assert mul_step.grad_inputs[0].data == pytest.approx(mul_step.grad_output.data * b.data)
        # the walk is backward(): leaves got their grads
        assert a.grad.item() == pytest.approx((1 - np.tanh(4.0) ** 2) * -3.0)

    def test_fan_out_sends_two_contributions(self):
        a = leaf([3.0], "a")
        b = a * 2
        c = b * a  # a used twice: directly and through b
        steps = list(tg.backward_steps(c))
        contributions = [g for s in steps for x, g in zip(s.inputs, s.grad_inputs) if x is a and g is not None]
        assert len(contributions) == 2
        assert a.grad.item() == pytest.approx(sum(g.item() for g in contributions)) == pytest.approx(12.0)

    def test_order_is_deterministic(self):
        def names():
            x, y = leaf([1.0], "x"), leaf([2.0], "y")
            out = (x * y + x.exp() * y.sin()).sum()
            return [s.function.__name__ for s in tg.backward_steps(out)]

        assert names() == names() == names()

    def test_long_chain_has_no_recursion_error(self):
        x = leaf(0.5)
        y = x
        for _ in range(100_000):
            y = y * 1.0000001
        y.backward()
        assert x.grad.item() == pytest.approx(1.0000001**100_000, rel=1e-9)


class TestNumerics:
    def test_log_softmax_of_huge_logits(self):
        logits = leaf([[1e4, -1e4, 0.0], [5e3, 5e3, -1e4]])
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = logits.log_softmax()
            (out * Tensor(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))).sum().backward()
        assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(logits.grad.data))
        np.testing.assert_allclose(out.data[0], [0.0, -2e4, -1e4])
        np.testing.assert_allclose(out.data[1, :2], [-np.log(2), -np.log(2)])

    def test_sigmoid_never_overflows(self):
        x = leaf([-1000.0, 1000.0, 0.0])
        with np.errstate(all="raise"):
            y = x.sigmoid()
            y.sum().backward()
        np.testing.assert_allclose(y.data, [0.0, 1.0, 0.5], atol=1e-300)
        np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 0.25], atol=1e-300)
        x32 = Tensor(np.array([-1000.0, 1000.0], dtype=np.float32))
        with np.errstate(all="raise"):
            assert x32.sigmoid().dtype == np.float32

    def test_softmax_of_huge_logits(self):
        with np.errstate(all="raise"):
            y = leaf([1e4, 1e4 - 1.0]).softmax()
        np.testing.assert_allclose(y.data, [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])


class TestAnomaly:
    def test_forward_nan_names_op_and_line(self):
        x = leaf([-1.0, 4.0])
        with tg.detect_anomaly(), np.errstate(invalid="ignore"):
            with pytest.raises(
                AnomalyError, match=r"Log produced NaN/inf in forward.*test_autograd\.py:\d+: .*x\.log\(\)"
            ):
                x.log()

    def test_backward_inf_names_op_and_line(self):
        x = leaf([0.0, 4.0])
        with tg.detect_anomaly(), np.errstate(divide="ignore"):
            y = x.sqrt()  # fine in forward: sqrt(0) = 0, but ∂/∂x = 1/(2·0) = inf
            with pytest.raises(AnomalyError, match=r"Sqrt\.backward produced NaN/inf.*y = x\.sqrt\(\)"):
                y.sum().backward()

    def test_quiet_on_finite_values_and_off_by_default(self):
        x = leaf([-1.0, 4.0])
        with tg.detect_anomaly():
            (x * 2).sum().backward()
        with np.errstate(invalid="ignore"):
            assert np.isnan(x.log().data[0])  # no anomaly mode: no error

    def test_as_decorator(self):
        @tg.detect_anomaly()
        def f(t):
            return t.log()

        with pytest.raises(AnomalyError), np.errstate(invalid="ignore"):
            f(leaf([-1.0]))


class TestGradientArguments:
    def test_list_gradient_for_one_output(self):
        x = leaf([1.0, 2.0])
        (x * 3).backward(gradient=[1.0, -1.0])
        np.testing.assert_allclose(x.grad.data, [3.0, -3.0])
        (gx,) = tg.grad(x * 3, x, grad_outputs=[2.0, 0.5])
        np.testing.assert_allclose(gx.data, [6.0, 1.5])

    def test_one_gradient_per_output_for_several(self):
        x = leaf([1.0, 2.0])
        tg.backward([x * 2, x.sum()], [np.array([1.0, 0.0]), None])
        np.testing.assert_allclose(x.grad.data, [3.0, 1.0])
        with pytest.raises(BackwardError, match="got 2 outputs but 1 gradients"):
            tg.grad([x * 2, x * 3], x, grad_outputs=[np.ones(2)])


def test_backward_steps_leaves_grad_mode_alone_between_steps():
    x = leaf([1.0, 2.0])
    y = (x * x).sin().sum()
    modes = [(x * 2).requires_grad for _ in tg.backward_steps(y)]
    assert modes and all(modes), "the caller's code between steps must still record graphs"
    with tg.no_grad():
        z = (x * x).sum()
    w = (x * 3).sum()
    for _ in tg.backward_steps(w, create_graph=True):
        with tg.no_grad():
            assert not (x * 2).requires_grad
    assert z.grad_fn is None


class TestVersionCounter:
    """Changing a tensor saved for backward between forward and backward raises, naming the op."""

    def test_assigning_data_of_a_saved_input_raises(self):
        x = leaf([1.0, 2.0], name="x")
        y = (x * x).sum()
        x.data = np.array([5.0, 6.0])
        with pytest.raises(BackwardError, match=r"Mul: input 0 'x' \(shape \(2,\)\), saved for backward, was changed"):
            y.backward()

    def test_in_place_update_through_data_raises(self):
        # ``x.data -= ...`` assigns .data (the optimizers' update does the same)
        x = leaf([1.0, 2.0])
        w = leaf([3.0, 4.0])
        y = (x * w).sum()
        w.data -= 0.5
        with pytest.raises(BackwardError, match=r"Mul: input 1 .*\(version 1, expected 0\)"):
            y.backward()

    def test_changing_a_saved_output_raises(self):
        x = leaf([0.5, -1.0])
        y = x.sigmoid()  # Sigmoid saves its output
        loss = y.sum()
        y.data *= 0  # in place, through .data
        with pytest.raises(BackwardError, match=r"Sigmoid: its output .* was changed after the forward pass"):
            loss.backward()

    def test_optimizer_step_between_forward_and_backward_raises(self):
        model = tg.nn.Linear(3, 2)
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
        x = Tensor(np.ones((4, 3)))
        loss = model(x).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
        with pytest.raises(BackwardError, match=r"Affine: input 1 .* was changed"):
            loss.backward()

    def test_load_state_dict_counts_as_a_change(self):
        model = tg.nn.Linear(3, 2)
        loss = model(Tensor(np.ones((1, 3), dtype=np.float32))).sum()
        model.load_state_dict({name: p.data.copy() for name, p in model.named_parameters()})
        with pytest.raises(BackwardError, match="Affine"):
            loss.backward()

    def test_changes_of_unsaved_inputs_and_after_backward_are_fine(self):
        x = leaf([1.0, 2.0])
        y = (x + 1).sum()  # Add saves nothing: its gradient does not depend on x
        x.data = np.array([7.0, 8.0])
        y.backward()
        np.testing.assert_allclose(x.grad.data, [1.0, 1.0])
        z = (x * x).sum()
        z.backward()
        x.data = x.data * 2  # after backward: nothing is waiting for the old values
        np.testing.assert_allclose(x.grad.data, [15.0, 17.0])

    def test_an_op_that_saved_only_its_output_ignores_a_changed_input(self):
        x = leaf([0.5, -1.0])
        y = x.sigmoid()  # saves y, not x: changing x afterwards leaves its gradient as it was
        expected = y.data * (1 - y.data)
        x.data = np.array([3.0, 4.0])
        y.sum().backward()
        np.testing.assert_allclose(x.grad.data, expected)

    def test_a_new_graph_sees_the_new_values(self):
        x = leaf([1.0, 2.0])
        x.data = np.array([3.0, 4.0])
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.data, [6.0, 8.0])

    def test_second_order_still_checks(self):
        x = leaf([1.0, 2.0])
        (grad_x,) = tg.grad((x * x * x).sum(), x, create_graph=True)
        x.data = np.array([0.0, 0.0])
        with pytest.raises(BackwardError, match="was changed"):
            grad_x.sum().backward()


class TestLeanPath:
    """Ops whose result nobody differentiates make no graph node; gradients are unchanged."""

    def test_no_grad_results_have_no_node(self):
        x = leaf([1.0, 2.0])
        with tg.no_grad():
            y = (x * 2).exp().sum()
        assert y.grad_fn is None and not y.requires_grad

    def test_inputs_without_grad_make_no_node(self):
        y = Tensor([1.0, 2.0]) * Tensor([3.0, 4.0])
        assert y.grad_fn is None and not y.requires_grad

    def test_plain_backward_records_nothing_and_matches_create_graph(self):
        rng = np.random.default_rng(0)
        x = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
        layer = tg.nn.Linear(4, 3)
        layer.weight.data = layer.weight.data.astype(np.float64)
        layer.bias.data = layer.bias.data.astype(np.float64)
        upstream = rng.standard_normal((5, 3))

        def gradients(create_graph):
            output = layer(x).sigmoid()
            return tg.grad(output, [x, layer.weight, layer.bias], upstream, create_graph=create_graph)

        plain = gradients(False)
        recorded = gradients(True)
        assert all(g.grad_fn is None for g in plain)
        assert all(g.grad_fn is not None for g in recorded)
        for a, b in zip(plain, recorded):
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12)

    def test_lean_path_gradients_pass_gradcheck_through_sigmoid_and_linear(self):
        rng = np.random.default_rng(1)
        x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
        w = Tensor(rng.standard_normal((2, 4)), requires_grad=True)
        b = Tensor(rng.standard_normal(2), requires_grad=True)
        assert tg.gradcheck(lambda x, w, b: tg.nn.functional.linear(x, w, b).sigmoid(), [x, w, b])
        assert tg.gradgradcheck(lambda x, w, b: tg.nn.functional.linear(x, w, b).sigmoid(), [x, w, b])

    def test_collector_state_is_restored_after_backward(self):
        import gc

        x = leaf([1.0])
        (x * 2).backward()
        assert gc.isenabled()
        gc.disable()
        try:
            (x * 2).backward()
            assert not gc.isenabled()
        finally:
            gc.enable()

    def test_stack_of_many_tensors_sharing_arrays(self):
        x = leaf([1.0, 2.0])
        pieces = [x] * 3 + [x.detach()] * 2  # the same array in five tensors, two of them distinct
        y = tg.stack(pieces)
        (y * y).sum().backward()
        np.testing.assert_allclose(x.grad.data, 3 * 2 * x.data)


class TestCollector:
    """Big graphs are kept out of the cyclic collector's rescans, and given back after backward()."""

    def test_long_chain_is_frozen_while_built_and_unfrozen_by_backward(self):
        import gc

        from tinygrad_edu.fast import collector

        x = leaf([0.5])
        y = x
        for _ in range(collector.FREEZE_AFTER_NODES + 10):
            y = y * 1.0
        assert gc.get_freeze_count() > 0
        y.backward()
        assert gc.get_freeze_count() == 0 and gc.isenabled()
        np.testing.assert_allclose(x.grad.data, [1.0])

    def test_small_graphs_never_freeze(self):
        import gc

        x = leaf([0.5])
        for _ in range(3000):  # 3000 steps of 4 ops each, a backward after each
            ((x * 2 + 1) * x).sum().backward()
        assert gc.get_freeze_count() == 0


def test_a_forward_may_read_needs_input_grad_with_or_without_a_graph():
    """PyTorch lets forward read ctx.needs_input_grad (to skip work only backward uses); so does the lean path."""
    seen = []

    class Keeps(tg.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(tuple(ctx.needs_input_grad))
            return a * b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output

    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2))
    Keeps.apply(a, b)
    Keeps.apply(b, b)
    with tg.no_grad():
        Keeps.apply(a, b)
    assert seen == [(True, False), (False, False), (False, False)]
