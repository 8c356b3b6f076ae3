"""Tests for nbhelpers.feedback: every report is checked on a right and on broken student code,
for naming the right layer, shape, epoch or input, and for never printing the reference values."""

import re

import numpy as np
import pytest

from nbhelpers import feedback as fb
from nbhelpers.activations import get_activation
from nbhelpers.costs import get_cost
from nbhelpers.engine import Network

# ------------------------------------------------------------------ a student's backprop, and breakages


def make_backprop(hidden_prime=True, output="cost", transpose_w=False, sign=1.0, scale=None,
                  z_for_a=False, bias_per_example=False, swap=False):
    """A backprop(weights, biases, x, y, activation, cost) with one chosen mistake (none by default).

    output: "cost" uses cost.delta; "no_prime" uses a - y for every cost; "quadratic" always uses
    the quadratic cost's (a - y) * sigma'(z), whatever the cost.
    """

    def backprop(weights, biases, x, y, activation, cost):
        a, activations, zs = x, [x], []
        for w, b in zip(weights, biases):
            z = w @ a + b
            zs.append(z)
            a = activation.fn(z)
            activations.append(a)
        m = x.shape[1] if scale is None else scale
        if output == "cost":
            delta = cost.delta(zs[-1], activations[-1], y)
        elif output == "no_prime":
            delta = activations[-1] - y
        else:
            delta = (activations[-1] - y) * activation.prime(zs[-1])
        delta = sign * delta
        n = len(weights)
        nabla_b, nabla_w = [None] * n, [None] * n
        for i in range(n - 1, -1, -1):
            if i < n - 1:
                delta = weights[i + 1].T @ delta
                if hidden_prime:
                    delta = delta * activation.prime(zs[i])
            below = zs[i - 1] if (z_for_a and i == n - 1) else activations[i]
            nabla_b[i] = delta / m if bias_per_example else delta.sum(axis=1, keepdims=True) / m
            nabla_w[i] = delta @ below.T / m
            if transpose_w:
                nabla_w[i] = nabla_w[i].T
        return (nabla_w, nabla_b) if swap else (nabla_b, nabla_w)

    return backprop


def check(backprop, **kwargs):
    return fb.check_backprop(backprop, show=False, **kwargs)


def true_gradients(sizes=(3, 4, 2), cost="quadratic", seed=0, m=6):
    """The real gradients of the first network check_backprop draws (for the leak test)."""
    rng = np.random.default_rng(seed)
    net = Network(list(sizes), cost=cost, activation="sigmoid", output_activation="sigmoid")
    for layer in net.layers:
        layer.w[...] = rng.standard_normal(layer.w.shape)
    for layer in net.layers:
        layer.b[...] = rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((sizes[0], m))
    y = rng.uniform(0.05, 0.95, (sizes[-1], m))
    net.gradient(x, y)
    return [g for layer in net.layers for g in (layer.nabla_w, layer.nabla_b)]


def decimals_in(text):
    return [float(s) for s in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)]


def assert_reveals_no_values(text, arrays):
    values = np.concatenate([np.ravel(a) for a in arrays])
    for number in decimals_in(text):
        close = np.isclose(values, number, rtol=2e-3, atol=0)
        assert not close.any(), f"{number} in the report is a reference value"


# ------------------------------------------------------------------ Feedback itself


def test_report_prints_once_and_can_be_silent(capsys):
    report = fb.check_shape("a", np.zeros((2, 1)), (2, 1))
    assert capsys.readouterr().out.startswith("✓ a has shape (2, 1)")
    report._ipython_display_()  # as a cell's last value: not printed again
    assert capsys.readouterr().out == ""
    quiet = fb.check_shape("a", np.zeros((2, 1)), (2, 1), show=False)
    assert capsys.readouterr().out == ""
    quiet._ipython_display_()
    assert capsys.readouterr().out.startswith("✓")
    assert report.ok and quiet.ok and report.problems == []


def test_failed_report_starts_with_a_cross_and_counts_problems():
    report = fb.check_shape("a", np.zeros(2), (2, 1), show=False)
    assert not report.ok and report.text.startswith("✗ shape of a: 1 problem")
    assert str(report) == repr(report) == report.text
    with pytest.raises(ValueError, match="show must be True or False"):
        fb.check_shape("a", np.zeros(2), (2,), show="yes")


# ------------------------------------------------------------------ check_shape


def test_shape_transposed_names_the_array_and_the_convention():
    report = fb.check_shape("nabla_w[1]", np.zeros((30, 10)), (10, 30),
                            hint="w^l is (n_out, n_in)", show=False)
    assert report.problems == ["nabla_w[1] has shape (30, 10) but should be (10, 30): it is "
                               "transposed (rows and columns swapped). w^l is (n_out, n_in)"]
    assert fb.check_shape("nabla_w[1]", np.zeros((10, 30)), (10, 30), show=False).ok


@pytest.mark.parametrize("got, expected, words", [
    (np.zeros(5), (5, 1), "1-D; keep it a column with keepdims=True"),
    (np.zeros((5, 1)), (5,), "2-D; flatten it with .ravel()"),
    (np.zeros((5, 4)), (5, 1), "axis 1 has size 4 instead of 1"),
    (np.zeros((2, 10)), (4, 5), "right number of entries, arranged the wrong way"),
    (np.zeros((2, 3, 4)), (2, 12), "3 dimensions instead of 2"),
    (None, (5, 1), "a is None: did the function forget to `return` it?"),
    ([1.0, 2.0], (2,), "a is a Python list, not a NumPy array"),
    ("oops", (2,), "a is a str, not a NumPy array"),
])
def test_shape_messages(got, expected, words):
    report = fb.check_shape("a", got, expected, show=False)
    assert not report.ok and words in report.problems[0]


def test_shape_none_accepts_any_size():
    assert fb.check_shape("x", np.zeros((784, 17)), (784, None), show=False).ok
    report = fb.check_shape("x", np.zeros((17, 784)), (784, None), show=False)
    assert "should be (784, any)" in report.problems[0]


@pytest.mark.parametrize("bad", ["abc", (3, -1), (2.5,), 7])
def test_shape_misuse_is_an_error(bad):
    with pytest.raises(ValueError, match="expected_shape must be a tuple of whole numbers"):
        fb.check_shape("a", np.zeros(3), bad)


def test_shape_name_must_be_text():
    with pytest.raises(ValueError, match="name must be a string"):
        fb.check_shape(3, np.zeros(3), (3,))


# ------------------------------------------------------------------ check_function


def reference_softplus(z):
    return np.log1p(np.exp(z)) + 1234.56789  # a distinctive value that must never be printed


INPUTS = [np.linspace(-2, 2, 5), (np.ones((3, 2)),), np.array(0.5)]


def test_function_right():
    report = fb.check_function(lambda z: np.log1p(np.exp(z)) + 1234.56789, reference_softplus,
                               INPUTS, name="softplus", show=False)
    assert report.ok and report.text == "✓ softplus agrees with the reference on 3 inputs"


def test_function_differs_on_one_input_only():
    def student(z):
        z = np.asarray(z)
        return reference_softplus(z) + (1.0 if z.ndim == 2 else 0.0)

    report = fb.check_function(student, reference_softplus, INPUTS, show=False)
    assert report.title == "student differs from the reference on 1 of 3 inputs"
    assert report.problems[0].startswith("input 2 (an array of shape (3, 2)): student is wrong: "
                                         "relative error")
    assert "largest difference at index" in report.problems[0]
    assert "1234" not in report.text


@pytest.mark.parametrize("student, words", [
    (lambda z: -reference_softplus(z), "has the wrong sign"),
    (lambda z: 2 * reference_softplus(z), "is twice what it should be"),
    (lambda z: 3 * reference_softplus(z), "points the right way but has the wrong size"),
    (lambda z: -2 * reference_softplus(z), "points the opposite way (and is not the right size either)"),
    (lambda z: reference_softplus(z).reshape(-1, 1), "has shape (5, 1) but should be (5,)"),
    (lambda z: np.full(np.shape(z), np.nan), "is NaN at index (0,)"),
    (lambda z: None, "is None: did the function forget to `return` it?"),
    (lambda z: np.zeros(np.shape(z)), "is all zeros"),
])
def test_function_mistakes(student, words):
    report = fb.check_function(student, reference_softplus, INPUTS, name="g", show=False)
    assert not report.ok and words in report.problems[0], report.text
    assert report.problems[0].startswith("input 1 (an array of shape (5,)): ")
    assert "1234" not in report.text


def test_function_exception_gives_the_line():
    def student(z):
        scale = 0
        return z / scale if isinstance(z, float) else 1 // scale

    report = fb.check_function(student, reference_softplus, INPUTS, show=False)
    assert report.problems == ["input 1 (an array of shape (5,)): student raised ZeroDivisionError: "
                               "integer division or modulo by zero (line "
                               f"{student.__code__.co_firstlineno + 2} of student: "
                               "`return z / scale if isinstance(z, float) else 1 // scale`)"]
    assert report.notes == ["also differs on inputs 2, 3"]


def test_function_tuple_results_and_scalar_inputs():
    def reference(a, b):
        return a + b, a * b

    assert fb.check_function(lambda a, b: (a + b, a * b), reference, [(1.0, 2.0), (3.0, 4.0)],
                             show=False).ok
    report = fb.check_function(lambda a, b: (a + b, a + b), reference, [(1.0, 2.0), (3.0, 4.0)],
                               name="h", show=False)
    assert report.problems == ["input 1 (1, 2): h[1] is wrong"]    # one number: no more than that
    report = fb.check_function(lambda a, b: a + b, reference, [(1.0, 2.0)], name="h", show=False)
    assert "h should return 2 values; it returned a float" in report.problems[0]


def test_function_does_not_let_the_student_change_the_input():
    def student(z):
        z += 1000.0  # changes its own copy only
        return reference_softplus(z - 1000.0)

    assert fb.check_function(student, reference_softplus, INPUTS, show=False).ok


def test_function_misuse():
    with pytest.raises(ValueError, match="f must be a function"):
        fb.check_function(3, reference_softplus, INPUTS)
    with pytest.raises(ValueError, match="inputs must be a non-empty list"):
        fb.check_function(np.tanh, reference_softplus, [])
    with pytest.raises(ValueError, match="reference failed on input 1"):
        fb.check_function(np.tanh, lambda z: 1 / 0, INPUTS)


# ------------------------------------------------------------------ check_backprop


def test_backprop_right():
    report = check(make_backprop())
    assert report.ok, report.text
    assert report.title.startswith("backprop agrees with finite differences on 4 networks")


def test_backprop_missing_hidden_sigma_prime_names_layer_2():
    report = check(make_backprop(hidden_prime=False))
    assert report.title == "backprop is wrong on 4 of 4 networks"
    assert report.problems[0].startswith("nabla_b[0] (the biases of layer 2) is wrong: relative error")
    assert report.problems[1].startswith("nabla_w[0] (the weights of layer 2) is wrong")
    assert not any("[1]" in p for p in report.problems[:2])  # the output layer is right
    assert report.problems[2] == (
        "where to look: every layer after layer 2 is right, so the error enters where delta^2 is "
        "computed from delta^3: delta^2 = ((w^3)^T delta^3) * sigma'(z^2)")
    assert report.notes[0] == "first wrong: sizes (3, 4, 2) with the quadratic cost, m = 6 examples"


def test_backprop_missing_output_sigma_prime_is_right_for_cross_entropy_only():
    report = check(make_backprop(output="no_prime"))
    assert report.title == "backprop is wrong on 2 of 4 networks"
    assert report.problems[0].startswith("nabla_b[1] (the biases of layer 3) is wrong")
    assert "where to look: the output error delta^3 is wrong" in report.problems[-1]
    assert "also wrong: sizes (2, 5, 3, 4) with the quadratic cost" in report.notes
    assert ("right: sizes (3, 4, 2) with the cross_entropy cost; sizes (2, 5, 3, 4) with the "
            "cross_entropy cost") in report.notes


def test_backprop_that_ignores_the_cost_is_wrong_for_cross_entropy():
    report = check(make_backprop(output="quadratic"))
    assert report.notes[0].startswith("first wrong: sizes (3, 4, 2) with the cross_entropy cost")
    assert any(n.startswith("right: sizes (3, 4, 2) with the quadratic cost") for n in report.notes)


def test_backprop_transposed_w_reports_shapes():
    report = check(make_backprop(transpose_w=True))
    assert report.problems[0].startswith("nabla_w[0] has shape (3, 4) but should be (4, 3): it is "
                                         "transposed")
    assert "w^l is (n_out, n_in)" in report.problems[0]
    assert report.problems[1].startswith("nabla_w[1] has shape (4, 2) but should be (2, 4)")


def test_backprop_wrong_sign():
    report = check(make_backprop(sign=-1.0))
    assert all("has the wrong sign" in p for p in report.problems[:4])
    assert report.problems[0].startswith("nabla_b[1] (the biases of layer 3)")


def test_backprop_sum_instead_of_mean_and_the_reverse():
    report = check(make_backprop(scale=1))
    assert report.problems[0] == ("nabla_b[1] (the biases of layer 3) is m = 6 times too large: "
                                  "the cost is the mean over the m examples, so divide the sum over "
                                  "the examples by m")
    assert len(report.problems) == 4  # no misleading "where to look" for a shared factor
    assert check(make_backprop(scale=1), reduction="sum").ok
    report = check(make_backprop(), reduction="sum")
    assert "is m = 6 times too small: the cost is the sum over the examples, so do not divide by m" \
        in report.problems[0]


def test_backprop_wrong_activation_in_nabla_w_only():
    report = check(make_backprop(z_for_a=True))
    assert report.problems[0].startswith("nabla_w[1] (the weights of layer 3) is wrong")
    assert len(report.problems) == 2
    assert report.problems[1] == ("where to look: nabla_b[1] is right, so delta^3 is right: check "
                                  "nabla_w[1] = delta^3 (a^2)^T, with a^2 the activations going "
                                  "INTO layer 3")


def test_backprop_bias_per_example():
    report = check(make_backprop(bias_per_example=True))
    assert report.problems[0].startswith("nabla_b[0] has shape (4, 6) but should be (4, 1)")
    assert "axis=1, keepdims=True" in report.problems[0]


def test_backprop_swapped_pair():
    report = check(make_backprop(swap=True))
    assert report.problems == ["backprop returned (nabla_w, nabla_b): the order is (nabla_b, nabla_w)"]


def test_backprop_exception_gives_the_line():
    def backprop(weights, biases, x, y, activation, cost):
        return weights[0] @ y

    report = check(backprop)
    assert report.problems[0].startswith("backprop raised ValueError: matmul")
    assert report.problems[0].endswith(f"(line {backprop.__code__.co_firstlineno + 1} of backprop: "
                                       "`return weights[0] @ y`)")


@pytest.mark.parametrize("result, words", [
    (None, "backprop returned None: did you forget `return nabla_b, nabla_w`?"),
    (3, "should return a pair (nabla_b, nabla_w); it returned int"),
    (([np.zeros((4, 1))], [np.zeros((4, 3))]), "nabla_b has 1 entry but the network has 2 layers"),
])
def test_backprop_wrong_results(result, words):
    report = check(lambda weights, biases, x, y, activation, cost: result)
    assert words in report.problems[0]


def test_backprop_that_changes_its_arguments():
    right = make_backprop()

    def backprop(weights, biases, x, y, activation, cost):
        result = right(weights, biases, x, y, activation, cost)
        weights[1] -= 0.1 * result[1][1]
        return result

    report = check(backprop)
    assert report.problems == ["backprop changed weights[1] or biases[1] in place; it should only "
                               "read them"]


def test_backprop_with_four_parameters():
    right = make_backprop()

    def backprop(weights, biases, x, y):
        return right(weights, biases, x, y, get_activation("sigmoid"), get_cost("quadratic"))

    report = check(backprop)
    assert report.ok and "on 2 networks" in report.title
    with pytest.raises(ValueError, match="costs must be \\['quadratic'\\]"):
        check(backprop, costs=["cross_entropy"])
    report = check(lambda weights, biases: None)
    assert report.problems[0].startswith("backprop cannot be called as backprop(weights, biases, x, "
                                         "y, activation, cost)")


def test_backprop_other_activation_and_sizes():
    assert check(make_backprop(), activation="tanh", costs=["quadratic"], sizes=[(4, 3, 3, 2)]).ok
    report = check(make_backprop(hidden_prime=False), activation="tanh", costs=["quadratic"],
                   sizes=[(4, 3, 3, 2)])
    assert report.problems[-1].startswith("where to look: every layer after layer 3 is right")


def test_backprop_report_never_shows_gradient_values():
    gradients = true_gradients()
    for broken in (make_backprop(hidden_prime=False), make_backprop(z_for_a=True),
                   make_backprop(output="no_prime"), make_backprop(scale=2.5)):
        report = check(broken)
        assert not report.ok
        assert_reveals_no_values(report.text, gradients)


def test_leak_check_catches_a_leak():
    gradients = true_gradients()
    with pytest.raises(AssertionError, match="is a reference value"):
        assert_reveals_no_values(f"should be {gradients[0][0, 0]:.5g}", gradients)


def test_backprop_is_deterministic():
    assert check(make_backprop(hidden_prime=False)).text == \
        check(make_backprop(hidden_prime=False)).text
    assert check(make_backprop(hidden_prime=False), seed=1).text != \
        check(make_backprop(hidden_prime=False)).text


@pytest.mark.parametrize("kwargs, words", [
    ({"sizes": [(3,)]}, "sizes must be a list of network sizes"),
    ({"sizes": (3, 4, 2)}, "sizes must be a list of network sizes"),
    ({"m": 1}, "m must be a whole number >= 2"),
    ({"reduction": "avg"}, "reduction must be one of"),
    ({"costs": ["hinge"]}, "cost must be one of"),
    ({"tolerance": 0}, "tolerance must be a finite number > 0"),
])
def test_backprop_misuse(kwargs, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        check(make_backprop(), **kwargs)
    with pytest.raises(ValueError, match="backprop must be a function"):
        fb.check_backprop("backprop")


# ------------------------------------------------------------------ check_decreasing


def test_decreasing_right():
    report = fb.check_decreasing([2.0, 1.5, 1.2, 1.0], show=False)
    assert report.ok and report.notes == ["overall it fell by 50.0% from epoch 0 to epoch 3"]


def test_decreasing_first_rise_is_named():
    costs = [2.0, 1.5, 1.6, 1.2, 1.3, 1.0]
    report = fb.check_decreasing(costs, show=False)
    assert report.ok  # a small rise is allowed
    assert report.notes[0] == ("the cost rose at epoch 2 (by 6.7% from epoch 1); it rose in 2 of 5 "
                               "epochs")
    strict = fb.check_decreasing(costs, strict=True, first_epoch=1, name="training cost", show=False)
    assert strict.problems[0].startswith("the training cost rose at epoch 3 (by 6.7% from epoch 2)")


def test_decreasing_nan_and_climbing_and_flat():
    report = fb.check_decreasing([1.0, 0.8, 0.9, 1.1, 1.4, float("nan"), float("nan")], show=False)
    assert report.problems[0].startswith("the cost is NaN from epoch 5 on: training blew up")
    assert "rose in each of the last 3 epochs" in report.problems[1]
    assert "did not fall overall: it is +40.0% from epoch 0 to epoch 4" in report.problems[2]
    report = fb.check_decreasing([1.0, float("inf")], show=False)
    assert report.problems == ["the cost is infinite from epoch 1 on: training blew up (is eta too "
                               "large? a log of 0 or a division by 0?)"]
    report = fb.check_decreasing([1.0, 0.99999, 0.99998], show=False)
    assert report.problems[0].startswith("the cost hardly moved")


@pytest.mark.parametrize("costs, words", [
    ([1.0], "cost has 1 value: at least two epochs"),
    ([], "cost has 0 values"),
    (["a", "b"], "cost should be a list of numbers"),
    ([[1.0, 2.0]], "cost should be a flat list of numbers"),
])
def test_decreasing_bad_lists_are_reported(costs, words):
    report = fb.check_decreasing(costs, show=False)
    assert words in report.problems[0]


def test_decreasing_on_a_small_gradient_descent_run():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 60))
    y = (x[:1] > 0).astype(float)
    costs = []
    w = np.zeros((1, 4))
    for _ in range(8):
        a = 1 / (1 + np.exp(-(w @ x)))
        costs.append(float(np.mean((a - y) ** 2)))
        w -= 2.0 * ((a - y) * a * (1 - a)) @ x.T / x.shape[1]
    assert fb.check_decreasing(costs, show=False).ok
    costs_up = []
    w = np.zeros((1, 4))
    for _ in range(8):
        a = 1 / (1 + np.exp(-(w @ x)))
        costs_up.append(float(np.mean((a - y) ** 2)))
        w += 2.0 * ((a - y) * a * (1 - a)) @ x.T / x.shape[1]  # the sign error
    report = fb.check_decreasing(costs_up, show=False)
    assert "the cost rose at epoch 1" in report.text and "did not fall overall" in report.text


def test_decreasing_misuse():
    with pytest.raises(ValueError, match="name must be a string"):
        fb.check_decreasing([2, 1], name=None)
    with pytest.raises(ValueError, match="strict must be True or False"):
        fb.check_decreasing([2, 1], strict="no")


# ------------------------------------------------------------------ check_gradient_descent


def f(x):
    return (x - 3.0) ** 2


def df(x):
    return 2.0 * (x - 3.0)


def run(eta, steps, x=0.0, rule=lambda x, eta: x - eta * df(x)):
    xs = [x]
    for _ in range(steps):
        xs.append(rule(xs[-1], eta))
    return xs


def test_gradient_descent_converges():
    report = fb.check_gradient_descent(run(0.1, 200), f, grad=df, eta=0.1, minimum=3.0, show=False)
    assert report.ok and report.title == "gradient descent converged"
    assert report.notes[0].startswith("200 steps; the last moved x by")


def test_gradient_descent_diverges_with_a_large_eta():
    report = fb.check_gradient_descent(run(1.1, 30), f, grad=df, eta=1.1, show=False)
    assert report.title == "gradient descent diverged"
    assert report.problems[0] == ("f ended higher than it started; it first rose at step 1 (eta too "
                                  "large, or a step in the wrong direction)")
    assert "ever larger steps: eta is too large" in report.problems[1]


def test_gradient_descent_overflow_names_the_step():
    report = fb.check_gradient_descent(run(1e150, 3, x=1.0), f, show=False)
    assert report.problems[0].startswith("x is infinite at step 3: the run diverged")


def test_gradient_descent_uphill_update_names_the_step():
    xs = run(0.1, 20, rule=lambda x, eta: x + eta * df(x))
    report = fb.check_gradient_descent(xs, f, grad=df, eta=0.1, show=False)
    assert report.problems[0] == "step 1 moved x uphill: the update should SUBTRACT eta f'(x)"
    assert "diverged" in report.title


def test_gradient_descent_wrong_factor_and_no_move():
    xs = run(0.1, 50)
    xs_half = [xs[0]] + run(0.05, 49, x=xs[1])  # right first step, then half steps
    report = fb.check_gradient_descent(xs_half, f, grad=df, eta=0.1, show=False)
    assert report.problems[0] == "step 2 is 0.5 times the step x <- x - eta f'(x) would take"
    report = fb.check_gradient_descent([0.0, 0.0, 0.0], f, grad=df, eta=0.1, show=False)
    assert report.problems[0] == "step 1 did not move x (the update should be x <- x - eta f'(x))"


def test_gradient_descent_still_moving_and_far_from_the_minimum():
    report = fb.check_gradient_descent(run(0.001, 10), f, minimum=3.0, show=False)
    assert report.title == "gradient descent is still moving"
    assert "take more steps or a larger eta" in report.problems[0]
    assert report.problems[1].startswith("the run ended 2.9 away from the minimum")


def test_gradient_descent_overshooting_but_converging_is_a_note():
    report = fb.check_gradient_descent(run(0.9, 200), f, grad=df, eta=0.9, show=False)
    assert report.ok and "x overshoots the minimum at every step" in report.notes[0]


def test_gradient_descent_without_convergence_checks_only_the_rule():
    report = fb.check_gradient_descent(run(1.1, 30), f, grad=df, eta=1.1, converge=False, show=False)
    assert report.ok and report.title == "gradient descent follows x <- x - eta f'(x)"
    assert report.notes[0].startswith("f ended higher than it started; it first rose at step 1")
    assert not any("still moved" in n for n in report.notes)
    slow = fb.check_gradient_descent(run(0.001, 10), f, grad=df, eta=0.001, converge=False,
                                     show=False)
    assert slow.ok and slow.notes[0].startswith("the last step still moved x by")
    report = fb.check_gradient_descent(run(1e150, 3, x=1.0), f, converge=False, show=False)
    assert report.ok and report.notes[0].startswith("x is infinite at step 3")
    xs = run(0.1, 20, rule=lambda x, eta: x + eta * df(x))
    report = fb.check_gradient_descent(xs, f, grad=df, eta=0.1, converge=False, show=False)
    assert report.problems == ["step 1 moved x uphill: the update should SUBTRACT eta f'(x)"]


def test_gradient_descent_bad_runs_are_reported():
    assert "xs has 1 value" in fb.check_gradient_descent([1.0], f, show=False).problems[0]
    assert "xs should be a list of numbers" in \
        fb.check_gradient_descent(None, f, show=False).problems[0]


def test_gradient_descent_misuse():
    with pytest.raises(ValueError, match="grad and eta must be given together"):
        fb.check_gradient_descent([0.0, 1.0], f, grad=df)
    with pytest.raises(ValueError, match="eta must be a finite number > 0"):
        fb.check_gradient_descent([0.0, 1.0], f, grad=df, eta=-1)
    with pytest.raises(ValueError, match="f must be a function"):
        fb.check_gradient_descent([0.0, 1.0], 2.0)


# ------------------------------------------------------------------ check_accuracy


def test_accuracy_reaches_and_misses():
    report = fb.check_accuracy(0.93, 0.9, show=False)
    assert report.ok and report.title == "accuracy 93.0% reaches the 90.0% asked for"
    report = fb.check_accuracy(412, 0.9, total=500, name="validation accuracy", show=False)
    assert report.problems == ["validation accuracy 82.4% is below the 90.0% asked for (7.6 points "
                               "short): train longer, tune eta, or check the cost"]
    assert fb.check_accuracy(450, 0.9, total=500, show=False).ok


def test_accuracy_at_chance_says_the_network_is_not_learning():
    report = fb.check_accuracy(0.11, 0.8, show=False)
    assert "about chance (10% for 10 classes): the network is not learning" in report.problems[0]
    assert "about chance (50% for 2 classes)" in \
        fb.check_accuracy(0.5, 0.8, n_classes=2, show=False).problems[0]


@pytest.mark.parametrize("accuracy, total, words", [
    (412, None, "accuracy is 412, more than 1: if it counts correct answers"),
    (-0.1, None, "an accuracy lies between 0 and 1"),
    (501, 500, "a count of correct answers between 0 and 500; got 501"),
    (float("nan"), None, "accuracy is nan"),
    (None, None, "accuracy is None: did the function forget to `return` it?"),
    ("90%", None, "accuracy should be a number; got a str"),
])
def test_accuracy_bad_values_are_reported(accuracy, total, words):
    report = fb.check_accuracy(accuracy, 0.9, total=total, show=False)
    assert words in report.problems[0]


def test_accuracy_misuse():
    with pytest.raises(ValueError, match="threshold must be a finite number > 0 and <= 1"):
        fb.check_accuracy(0.9, 90)
    with pytest.raises(ValueError, match="total must be a whole number >= 1"):
        fb.check_accuracy(3, 0.5, total=0)
