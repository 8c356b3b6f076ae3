"""The grader's checks of ``02-backpropagation``.

BP1-BP4 are tried on made-up activations and costs (``challenges``): the right values follow from
the equations with the objects' own ``prime`` and ``grad_a``. ``backprop`` is tried on small
networks with the course's BP1-BP3 in place of the student's (so one wrong part costs only its own
points) and compared with finite differences of the cost. ``sgd_step`` is tried with a stand-in
for ``backprop``; the trained network is trained again here, as the notebook's ``train`` does,
from the settings in ``TRAINING``, with the course's own backpropagation.

Used by: ``verdicts`` (through ``checks.find``).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from nbhelpers import get_activation, get_cost
from nbhelpers.data import load_mnist
from nbhelpers.feedback import challenges
from nbhelpers.feedback.backprop import array_label, gradient_problem, structure_problems, where_to_look
from nbhelpers.feedback.parts import backward_error_problems, gradients_problems, output_error_problems

from . import Context, Feedback, describe, is_number

__all__ = ["output_error", "backward_error", "gradients", "backprop", "training"]

ACCURACY = 0.85
TRAINING_KEYS = {"sizes", "epochs", "mini_batch_size", "eta", "seed"}
MOST_EPOCHS, MOST_NEURONS = 20, 200


def _parts(results, cases, name, problems_of, want_of, title):
    report = Feedback(title)
    if not isinstance(results, list) or len(results) != len(cases):
        report.problem("the test's results are incomplete")
        return report
    for number, (case, outcome) in enumerate(zip(cases, results), start=1):
        problems = [outcome["error"]] if outcome.get("error") else \
            problems_of(outcome.get("value"), want_of(*case), *case)
        problems += [n for n in outcome.get("notes") or [] if "changed its argument" in n]
        if problems:
            report.title = f"{name} is wrong on input {number} of {len(cases)}"
            for problem in problems:
                report.problem(problem)
            return report
    return report


def output_error(results, ctx):
    cases = challenges.output_error_cases(ctx.seed)
    return _parts(results, cases, "output_error", output_error_problems,
                  lambda z, a, y, activation, cost: cost.grad_a(a, y) * activation.prime(z),
                  f"output_error is BP1 on {len(cases)} batches with activations and costs it has not seen")


def backward_error(results, ctx):
    cases = challenges.backward_error_cases(ctx.seed)
    return _parts(results, cases, "backward_error", backward_error_problems,
                  lambda d, w, z, activation: (w.T @ d) * activation.prime(z),
                  f"backward_error is BP2 on {len(cases)} batches with an activation it has not seen")


def gradients(results, ctx):
    cases = challenges.gradients_cases(ctx.seed)
    return _parts(results, cases, "gradients", gradients_problems,
                  lambda d, a: (d.sum(axis=1, keepdims=True) / d.shape[1], d @ a.T / d.shape[1]),
                  f"gradients is BP3 and BP4 on {len(cases)} batches")


def _forward(weights, biases, x, activation):
    a = x
    for w, b in zip(weights, biases):
        a = activation.fn(w @ a + b)
    return a


def _measured(weights, biases, x, y, activation, cost, eps=1e-6):
    """(nabla_b, nabla_w) of the mean cost by central differences."""
    def total():
        return cost.fn(_forward(weights, biases, x, activation), y)

    def measure(array):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + eps
            up = total()
            array[index] = old - eps
            down = total()
            array[index] = old
            grad[index] = (up - down) / (2 * eps)
        return grad

    return [measure(b) for b in biases], [measure(w) for w in weights]


def backprop(results, ctx):
    cases = challenges.backprop_cases(ctx.seed)
    report = Feedback(f"backprop agrees with finite differences on {len(cases)} networks with an "
                      "activation and a cost it has not seen")
    if not isinstance(results, list) or len(results) != len(cases):
        report.problem("the test's results are incomplete")
        return report
    for number, (case, outcome) in enumerate(zip(cases, results), start=1):
        weights, biases, x, y, activation, cost = case
        sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        where = f"network {number} (sizes {sizes}, m = {x.shape[1]})"
        if outcome.get("error"):
            report.problem(f"{where}: {outcome['error']}")
            return report
        changed = [n for n in outcome.get("notes") or [] if "changed its argument" in n]
        if changed:
            report.problem(f"{where}: backprop changed its arguments (the weights?) in place; it should "
                           "only read them")
            return report
        problems = structure_problems(outcome.get("value"), weights, biases)
        if problems:
            report.problem(f"{where}: {problems[0]}")
            return report
        nabla_b, nabla_w = outcome["value"]
        want_b, want_w = _measured(weights, biases, x, y, activation, cost)
        wrong = {}
        for i in range(len(weights)):
            for kind, got, want in (("w", nabla_w[i], want_w[i]), ("b", nabla_b[i], want_b[i])):
                problem = gradient_problem(array_label(kind, i), got, want, x.shape[1], "mean", 1e-6)
                if problem:
                    wrong[(kind, i)] = problem
        if wrong:
            report.title = f"backprop is wrong on {where}"
            for key in sorted(wrong, key=lambda key: (-key[1], key[0] != "b")):
                report.problem(wrong[key])
            report.note("where to look: " + where_to_look(wrong, len(weights)))
            report.note("this test runs your backprop with the course's BP1-BP3, so the error is in "
                        "backprop itself")
            return report
    return report


def _check_training(settings, report):
    if not isinstance(settings, dict):
        report.problem(f"TRAINING should be a dict of the settings of train; it is {describe(settings)}")
        return None
    extra = set(settings) - TRAINING_KEYS
    if extra:
        report.problem(f"TRAINING may hold {sorted(TRAINING_KEYS)}; it also holds {sorted(map(str, extra))}")
        return None
    sizes = settings.get("sizes")
    if not (isinstance(sizes, (list, tuple)) and len(sizes) >= 2 and all(isinstance(n, int) and n > 0
                                                                          for n in sizes)
            and sizes[0] == 784 and sizes[-1] == 10 and sum(sizes[1:-1]) <= MOST_NEURONS):
        report.problem(f"TRAINING['sizes'] should be [784, ..., 10] with at most {MOST_NEURONS} hidden "
                       "neurons in all")
        return None
    values = {"epochs": settings.get("epochs"), "mini_batch_size": settings.get("mini_batch_size"),
              "eta": settings.get("eta"), "seed": settings.get("seed", 0)}
    if not (isinstance(values["epochs"], int) and 1 <= values["epochs"] <= MOST_EPOCHS):
        report.problem(f"TRAINING['epochs'] should be a whole number from 1 to {MOST_EPOCHS}")
    elif not (isinstance(values["mini_batch_size"], int) and 1 <= values["mini_batch_size"] <= 1000):
        report.problem("TRAINING['mini_batch_size'] should be a whole number from 1 to 1000")
    elif not (is_number(values["eta"]) and 0 < values["eta"] <= 100):
        report.problem("TRAINING['eta'] should be a positive number")
    elif not (isinstance(values["seed"], int) and values["seed"] >= 0):
        report.problem("TRAINING['seed'] should be a whole number >= 0")
    return None if report.problems else dict(values, sizes=list(sizes))


def _backprop(weights, biases, x, y, activation, cost):
    """The course's backpropagation for a mini-batch (the mean cost)."""
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ activations[-1] + b)
        activations.append(activation.fn(zs[-1]))
    delta = cost.grad_a(activations[-1], y) * activation.prime(zs[-1])
    nabla_b, nabla_w = [None] * len(weights), [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        if i < len(weights) - 1:
            delta = (weights[i + 1].T @ delta) * activation.prime(zs[i])
        nabla_b[i] = delta.sum(axis=1, keepdims=True) / delta.shape[1]
        nabla_w[i] = delta @ activations[i].T / delta.shape[1]
    return nabla_b, nabla_w


def _train(sizes, epochs, mini_batch_size, eta, seed):
    """The notebook's ``train`` with the course's backpropagation: the validation accuracy."""
    key = ("bp-train", tuple(sizes), epochs, mini_batch_size, float(eta), seed)
    if key in Context.cache:
        return Context.cache[key]
    data = load_mnist("sample", progress=False)
    X, labels = data.train[0][:, :1000], data.train[1][:1000]
    sigmoid, cost = get_activation("sigmoid"), get_cost("cross_entropy")
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
    Y = np.eye(sizes[-1])[:, labels]
    with threadpool_limits(limits=1):       # one thread, as in the sandbox: the same sums
        for _ in range(epochs):
            order = rng.permutation(X.shape[1])
            for k in range(0, len(order), mini_batch_size):
                batch = order[k:k + mini_batch_size]
                nabla_b, nabla_w = _backprop(weights, biases, X[:, batch], Y[:, batch], sigmoid, cost)
                for w, b, nw, nb in zip(weights, biases, nabla_w, nabla_b):
                    w -= eta * nw
                    b -= eta * nb
        a = data.validation[0]
        for w, b in zip(weights, biases):
            a = sigmoid.fn(w @ a + b)
    accuracy = float(np.mean(np.argmax(a, axis=0) == data.validation[1]))
    Context.cache[key] = accuracy
    return accuracy


def training(results, ctx):
    report = Feedback(f"sgd_step takes the step in place, and TRAINING trains a network past "
                      f"{ACCURACY:.0%} on the validation digits")
    steps = (results or {}).get("steps") or []
    cases = challenges.sgd_cases(ctx.seed)
    if len(steps) != len(cases):
        report.problem("the test's results are incomplete")
        return report
    for (weights, biases, _, _, eta, nabla_b, nabla_w), step in zip(cases, steps):
        if step.get("error"):
            report.problem(step["error"])
            return report
        got_w, got_b = step.get("weights"), step.get("biases")
        want_w = [w - eta * g for w, g in zip(weights, nabla_w)]
        want_b = [b - eta * g for b, g in zip(biases, nabla_b)]
        fine = all(isinstance(g, np.ndarray) and g.shape == w.shape and np.allclose(g, w, rtol=1e-12)
                   for g, w in zip(list(got_w or []) + list(got_b or []), want_w + want_b))
        if not fine or len(got_w or []) != len(weights):
            unchanged = all(isinstance(g, np.ndarray) and np.array_equal(g, w)
                            for g, w in zip(list(got_w or []), weights))
            report.problem("sgd_step left weights and biases as they were: it should change them in place "
                           "(w -= eta * nw)" if unchanged else
                           "sgd_step does not take the step w - eta nabla_w, b - eta nabla_b with the "
                           "gradient backprop gives")
            return report
    settings = _check_training(results.get("TRAINING"), report)
    if settings is None:
        return report
    accuracy = _train(settings["sizes"], settings["epochs"], settings["mini_batch_size"], settings["eta"],
                      settings["seed"])
    if accuracy < ACCURACY:
        report.problem(f"trained with these settings (and the course's backprop), the network classifies "
                       f"{accuracy:.1%} of the validation digits, short of {ACCURACY:.0%}: train longer or "
                       "tune eta")
    else:
        report.note(f"trained again with these settings: {accuracy:.1%} of the validation digits")
    return report
