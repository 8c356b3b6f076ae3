"""Tests for what nbhelpers.feedback does for grading: checks that give nothing away and cannot be
fooled by the student's function, the BP1-BP4 checks, the tools a notebook may replace, and the
probe's way of carrying results to the grader (encode/decode, challenges)."""

import importlib
import sys

import numpy as np
import pytest

from nbhelpers import feedback as fb
from nbhelpers.feedback import challenges, tools
from nbhelpers.feedback.encode import MAX_NUMBERS, Opaque, decode, encode

probe = importlib.import_module("nbhelpers.feedback.probe")     # the module, not the function

# ------------------------------------------------------------------ check_function gives nothing away


def test_a_wrong_number_is_only_called_wrong():
    report = fb.check_function(lambda x: 1.0, lambda x: 7.0, [2.0], name="g", show=False)
    assert report.problems == ["input 1 (2): g is wrong"]
    assert "0.143" not in report.text and "7" not in report.text.replace("input 1", "")


def test_opposite_sign_is_the_right_size_only_when_it_is():
    x = [np.arange(1.0, 5.0)]
    assert "the right size" in fb.check_function(lambda v: -v, lambda v: v, x, show=False).problems[0]
    report = fb.check_function(lambda v: -2 * v, lambda v: v, x, show=False)
    assert "not the right size" in report.problems[0]


def test_complex_and_text_results_are_named():
    x = [np.arange(1.0, 4.0)]
    report = fb.check_function(lambda v: v + 1e-3j, lambda v: v, x, show=False)
    assert "complex numbers" in report.problems[0]
    assert fb.check_function(lambda v: v + 0j, lambda v: v, x, show=False).ok
    report = fb.check_function(lambda v: np.array(["a", "b", "c"]), lambda v: v, x, show=False)
    assert "holds text, not numbers" in report.problems[0]
    report = fb.check_function(lambda v: "7", lambda v: 7.0, [1.0], show=False)
    assert "is text, not a number" in report.problems[0]


def test_a_function_that_never_returns_is_stopped():
    def forever(x):
        while True:
            pass

    report = fb.check_function(forever, lambda x: x, [1.0], time_limit=0.3, show=False)
    assert "did not finish within 0.3 s" in report.problems[0]


def test_the_reference_is_out_of_reach_while_the_student_runs():
    def peek(x):
        frames = [sys._getframe(depth).f_locals for depth in range(1, 6)]
        return next((f["want"] for f in frames if "want" in f), None)

    report = fb.check_function(peek, lambda x: 2 * x, [np.arange(3.0)], show=False)
    assert not report.ok and "is None" in report.problems[0]


def test_sys_exit_mutation_and_floods_are_reported_not_obeyed():
    report = fb.check_function(lambda x: sys.exit(3), lambda x: x, [np.arange(3.0)], show=False)
    assert "called sys.exit() with 3" in report.problems[0]

    def noisy(x):
        x[0] = 99.0
        print("x" * 10_000_000)
        return x

    report = fb.check_function(noisy, lambda x: x, [np.arange(3.0)], show=False)
    assert any("printed 10.0 MB" in n for n in report.notes)
    assert any("changed its argument 1 in place" in n for n in report.notes)
    assert len(report.text) < 2000


def test_check_derivative_against_the_measured_slope():
    def f(x):
        return x**4 / 4 - 3 * x**3 + 7 * x - 5

    assert fb.check_derivative(lambda x: x**3 - 9 * x**2 + 7, f, [0.0, 1.0, -2.5], show=False).ok
    report = fb.check_derivative(lambda x: x**3 - 9 * x**2, f, [0.0, 1.0], show=False)
    assert report.problems == ["input 1 (0): <lambda> is wrong"]


# ------------------------------------------------------------------ BP1-BP4


def bp1(z, a, y, activation, cost):
    return cost.grad_a(a, y) * activation.prime(z)


@pytest.mark.parametrize("student, words", [
    (bp1, None),
    (lambda z, a, y, act, cost: cost.grad_a(a, y), "without the factor sigma'(z^L)"),
    (lambda z, a, y, act, cost: act.prime(z), "without the factor grad_a C"),
    (lambda z, a, y, act, cost: (a - y) * act.prime(z), "uses a - y, which is grad_a C for the quadratic"),
    (lambda z, a, y, act, cost: cost.grad_a(a, y) * act.prime(a), "takes sigma' at a instead of at z"),
    (lambda z, a, y, act, cost: -bp1(z, a, y, act, cost), "has the wrong sign"),
])
def test_output_error_names_the_missing_factor(student, words):
    report = fb.check_output_error(student, show=False)
    assert report.ok if words is None else words in report.problems[0], report.text


@pytest.mark.parametrize("student, words", [
    (lambda d, w, z, act: (w.T @ d) * act.prime(z), None),
    (lambda d, w, z, act: w.T @ d, "without the factor sigma'(z^l)"),
    (lambda d, w, z, act: (w.T @ d) * act.fn(z), "wrong"),
])
def test_backward_error_names_the_mistake(student, words):
    report = fb.check_backward_error(student, show=False)
    assert report.ok if words is None else words in report.problems[0], report.text


def test_backward_error_without_the_transpose():
    report = fb.check_backward_error(lambda d, w, z, act: (w @ d) * act.prime(z), show=False)
    assert not report.ok


@pytest.mark.parametrize("student, words", [
    (lambda d, a: (d.mean(axis=1, keepdims=True), d @ a.T / d.shape[1]), None),
    (lambda d, a: (d.sum(axis=1, keepdims=True), d @ a.T), "m = 5 times too large"),
    (lambda d, a: (d.mean(axis=1), d @ a.T / d.shape[1]), "keepdims=True"),
    (lambda d, a: (d @ a.T / d.shape[1], d.mean(axis=1, keepdims=True)), "the order is (nabla_b, nabla_w)"),
    (lambda d, a: (d, d @ a.T / d.shape[1]), "one column per example"),
])
def test_gradients_names_the_mistake(student, words):
    report = fb.check_gradients(student, show=False)
    assert report.ok if words is None else any(words in p for p in report.problems), report.text


def test_backprop_check_does_not_call_minus_twice_the_right_size():
    def doubled(weights, biases, x, y, activation, cost):
        zs, acts = [], [x]
        for w, b in zip(weights, biases):
            zs.append(w @ acts[-1] + b)
            acts.append(activation.fn(zs[-1]))
        delta = cost.delta(zs[-1], acts[-1], y)
        nb, nw = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            if i < len(weights) - 1:
                delta = (weights[i + 1].T @ delta) * activation.prime(zs[i])
            nb[i] = -2 * delta.mean(axis=1, keepdims=True)
            nw[i] = -2 * delta @ acts[i].T / x.shape[1]
        return nb, nw

    report = fb.check_backprop(doubled, show=False)
    assert report.problems
    assert all("right size" not in p or "not the right size" in p for p in report.problems)


# ------------------------------------------------------------------ tools, encoding, challenges


def test_changed_tools_are_named(monkeypatch):
    assert tools.changed() == []
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(fb, "check_function", lambda *a, **k: None)
    changed = tools.changed()
    assert "numpy.allclose" in changed and "nbhelpers.feedback.check_function" in changed
    monkeypatch.undo()
    assert tools.changed() == []


@pytest.mark.parametrize("value", [
    None, True, 3, -2**60, 2.5, float("nan"), float("inf"), 1 - 2j, "eta", np.float32(0.25),
    np.arange(6.0).reshape(2, 3), np.array([1, 2], dtype=np.int32), np.array([True, False]),
    np.array([1 + 1j]), [1.0, (2, 3)], {0.01: np.ones(3), "sizes": [784, 30, 10]},
])
def test_encode_then_decode_gives_the_value_back(value):
    back = decode(encode(value))
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, dict):
        assert set(back) == set(value) and np.array_equal(back[0.01], value[0.01])
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value


def test_decode_trusts_nothing():
    assert isinstance(decode(encode(object())), Opaque)
    assert isinstance(decode(encode("x" * 5000)), Opaque)
    for bad in ({"t": "array", "dtype": "float64", "shape": [10**9], "b64": ""},
                {"t": "array", "dtype": "object", "shape": [1], "b64": "AA=="},
                {"t": "array", "dtype": "float64", "shape": [2], "b64": "AAAA"},
                {"t": "float", "v": "__import__('os')"}, {"t": "code"}, [1, 2],
                {"t": "list", "items": [{"t": "none"}] * 20_000}):
        with pytest.raises(ValueError, match="malformed"):
            decode(bad)
    assert decode(encode(np.zeros(MAX_NUMBERS + 1))).type == "big"


def test_challenges_are_the_same_for_the_same_seed_and_differ_across_seeds():
    for make in (challenges.derivative_points, challenges.descent_cases):
        assert make(7) == make(7) and make(7) != make(8)
    first, again = challenges.backprop_cases(7), challenges.backprop_cases(7)
    assert all(np.array_equal(a, b) for a, b in zip(first[0][0], again[0][0]))
    assert not hasattr(challenges.output_error_cases(7)[0][3], "fn")        # prime only
    assert not hasattr(challenges.output_error_cases(7)[0][4], "fn")        # grad_a only


def test_probe_publishes_what_the_students_functions_return(monkeypatch):
    published = []
    monkeypatch.setattr(probe, "_display", lambda data, raw: published.append(data))
    namespace = {"df": lambda x: 3 * x**2}
    fb.probe("gd/df", seed=5, namespace=namespace)
    record = published[0][probe.MIME]
    assert record["test"] == "gd/df" and record["seed"] == 5 and record["tools"] == []
    results = decode(record["results"])
    points = challenges.derivative_points(5)
    assert [r["value"] for r in results["points"]] == [3 * x**2 for x in points]
    fb.probe("gd/answers", seed=5, namespace={})
    assert published[1][probe.MIME]["missing"] == ["local_minimum", "best_eta"]


def test_probe_swaps_in_the_stand_ins_and_puts_the_students_functions_back(monkeypatch):
    published = []
    monkeypatch.setattr(probe, "_display", lambda data, raw: published.append(data))

    def mine(*args):
        raise AssertionError("the student's own part must not be used")

    namespace = {"output_error": mine}
    exec("def backprop(weights, biases, x, y, activation, cost):\n"
         "    return output_error(None, None, None, activation, cost), None\n", namespace)
    fb.probe("bp/backprop", seed=1, namespace=namespace, parts={"output_error": lambda *args: "the course's"})
    assert namespace["output_error"] is mine
    results = decode(published[0][probe.MIME]["results"])
    assert results[0]["value"][0] == "the course's"


@pytest.mark.slow      # waits out the 5 s time limit
def test_gradient_descent_check_stops_a_derivative_that_never_returns():
    def forever(x):
        while True:
            pass

    report = fb.check_gradient_descent([0.0, 0.1, 0.2], lambda x: x**2, grad=forever, eta=0.1,
                                       converge=False, show=False)
    assert report.problems[0].startswith("at step 1: the derivative did not finish within 5 s")


# ------------------------------------------------------------------ work handed to the course's code

HONEST_BACKPROP = '''
def feedforward(weights, biases, x, activation):
    zs, activations = [], [x]
    for w, b in zip(weights, biases):
        zs.append(w @ activations[-1] + b)
        activations.append(activation.fn(zs[-1]))
    return zs, activations


def backprop(weights, biases, x, y, activation, cost):
    zs, activations = feedforward(weights, biases, x, activation)
    delta = output_error(zs[-1], activations[-1], y, activation, cost)
    nabla_b, nabla_w = [None] * len(weights), [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        if i < len(weights) - 1:
            delta = backward_error(delta, weights[i + 1], zs[i], activation)
        nabla_b[i], nabla_w[i] = gradients(delta, activations[i])
    return nabla_b, nabla_w
'''

COURSE_BACKPROP = '''
from nbhelpers import Network


def backprop(weights, biases, x, y, activation, cost):
    """The course's own backpropagation, with whatever activation and cost it knows by that name."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    try:
        net = Network(sizes, cost=cost.name, activation=activation.name)
    except Exception:
        net = Network(sizes, cost="quadratic")
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    return net.backprop_batch(x, y)
'''


@pytest.mark.parametrize("source, passes", [(HONEST_BACKPROP, True), (COURSE_BACKPROP, False)])
def test_a_backprop_that_calls_the_courses_own_does_not_pass(monkeypatch, source, passes):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "assignments"))
    from nndl_grading import checks

    published = []
    monkeypatch.setattr(probe, "_display", lambda data, raw: published.append(data))
    namespace = {}
    exec(source, namespace)
    parts = {"output_error": lambda z, a, y, activation, cost: cost.grad_a(a, y) * activation.prime(z),
             "backward_error": lambda d, w, z, activation: (w.T @ d) * activation.prime(z),
             "gradients": lambda d, a: (d.mean(axis=1, keepdims=True), d @ a.T / d.shape[1])}
    fb.probe("bp/backprop", seed=11, namespace=namespace, parts=parts)    # as the hidden test does
    record = published[0][probe.MIME]
    assert record["tools"] == [] and not record.get("error")
    report = checks.find("bp/backprop")(decode(record["results"]),
                                        checks.Context("02-backpropagation", {}, 11))
    assert report.ok == passes, report.text
