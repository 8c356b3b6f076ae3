"""The grader's checks of ``03-fashion-mnist`` and ``04-exploration``: networks described by
``NETWORK`` (the keyword arguments of ``nbhelpers.Network``) and trained again here, from the
course's seed on the course's split of the bundled Fashion-MNIST sample, exactly as the notebook's
runs are made; the student's recorded accuracies must be those of the runs, and the chosen network
must do what the task asks.

Two accuracies count as the same when they differ by at most one image (a different order of
floating-point sums may turn one borderline image).

Used by: ``verdicts`` (through ``checks.find``).
"""

from __future__ import annotations

import json

from threadpoolctl import threadpool_limits

from nbhelpers import Network, get_activation, get_cost
from nbhelpers.data import load_mnist
from nbhelpers.feedback.course import course_split

from . import Context, Feedback, describe, is_number

__all__ = ["network", "search", "best", "better"]

BASELINE = {"sizes": [784, 100, 10], "cost": "cross_entropy"}
NETWORK_KEYS = {"sizes", "cost", "activation", "output_activation", "init"}
SETTINGS_KEYS = {"eta", "lmbda", "dropout"}
MOST_WEIGHTS = 1_000_000
SHALLOW_ACCURACY = 0.60


def _split(params):
    key = ("split", params["split_seed"], params["n_train"])
    if key not in Context.cache:
        data = load_mnist("fashion_sample", progress=False)
        Context.cache[key] = course_split(data, params["split_seed"], n_train=params["n_train"],
                                          n_validation=params["n_validation"])
    return Context.cache[key]


def _network(description, seed, report, what="NETWORK"):
    """``Network(**description, seed=seed)``, or None after a problem in ``report``."""
    if not isinstance(description, dict):
        report.problem(f"{what} should be a dict of Network's arguments; it is {describe(description)}")
        return None
    extra = set(map(str, description)) - NETWORK_KEYS
    if extra:
        report.problem(f"{what} may hold {sorted(NETWORK_KEYS)}; it also holds {sorted(extra)}")
        return None
    sizes = description.get("sizes")
    if not (isinstance(sizes, (list, tuple)) and len(sizes) >= 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)):
        report.problem(f"{what}['sizes'] should be a list of whole numbers such as [784, 100, 10]")
        return None
    if sum(a * b for a, b in zip(sizes, sizes[1:])) > MOST_WEIGHTS:
        report.problem(f"{what} has more than {MOST_WEIGHTS:,} weights: keep a run to a few seconds")
        return None
    try:
        return Network(**description, seed=seed)
    except (TypeError, ValueError) as error:
        report.problem(f"Network(**{what}) cannot be built: {error}")
        return None


def _run(description, settings, params):
    """(validation accuracy, test accuracy) of the stated run, trained here (and remembered)."""
    key = ("run", json.dumps(params, sort_keys=True), json.dumps(description, sort_keys=True),
           json.dumps(settings, sort_keys=True))
    if key not in Context.cache:
        net = Network(**description, seed=params["net_seed"])
        training, validation, test = _split(params)
        with threadpool_limits(limits=1):     # one thread, as in the sandbox: the same sums
            net.SGD(training, params["epochs"], params["mini_batch"], settings["eta"],
                    lmbda=settings.get("lmbda", 0.0), dropout=settings.get("dropout", 0.0),
                    progress=False, verbose=False)
            Context.cache[key] = (float(net.accuracy(validation)), float(net.accuracy(test)))
    return Context.cache[key]


def _same(recorded, computed, n_images):
    return is_number(recorded) and abs(float(recorded) - computed) <= 1.0 / n_images + 1e-12


def network(results, ctx):
    report = Feedback("NETWORK is one hidden layer of at least 100 sigmoid neurons and the "
                      "cross-entropy cost")
    description = results.get("NETWORK")
    net = _network(description, ctx.params["net_seed"], report)
    if net is None:
        return report
    sizes = list(description["sizes"])
    if len(sizes) != 3 or sizes[0] != 784 or sizes[2] != 10:
        report.problem(f"one hidden layer between 784 inputs and 10 outputs is asked for; sizes {sizes}")
    elif sizes[1] < 100:
        report.problem(f"at least 100 hidden neurons are asked for; this network has {sizes[1]}")
    if get_cost(description.get("cost", "quadratic")).name != "cross_entropy":
        report.problem("the cost should be cross-entropy")
    for key in ("activation", "output_activation"):
        if description.get(key) is not None and get_activation(description[key]).name != "sigmoid":
            report.problem(f"the neurons should be sigmoid neurons ({key} is not)")
    return report


def _rates(etas, report):
    if not isinstance(etas, (list, tuple)) or not all(is_number(e) and e > 0 for e in etas):
        report.problem(f"ETAS should be a list of positive numbers; it is {describe(etas)}")
        return None
    etas = sorted({float(e) for e in etas})
    if len(etas) < 5:
        report.problem(f"at least five different rates are asked for; ETAS has {len(etas)}")
    elif etas[-1] / etas[0] < 10:
        report.problem("the rates should span at least a factor of 10 (largest / smallest >= 10)")
    return None if report.problems else etas


def _table(results, name, etas, report):
    table = results.get(name)
    if not isinstance(table, dict) or sorted(float(k) for k in table if is_number(k)) != etas \
            or len(table) != len(etas):
        report.problem(f"{name} should have one entry for each rate in ETAS; it is {describe(table)}")
        return None
    return {float(k): v for k, v in table.items()}


def search(results, ctx):
    report = Feedback("every rate was trained and recorded, and the recorded accuracies are those of "
                      "the runs")
    etas = _rates(results.get("ETAS"), report)
    tables = {name: _table(results, name, etas, report) for name in ("results", "seconds")} if etas else {}
    if report.problems:
        return report
    if not all(is_number(v) and 0 <= v <= 1 for v in tables["results"].values()):
        report.problem("results should hold validation accuracies, numbers between 0 and 1")
    if not all(is_number(v) and 0 < v < 600 for v in tables["seconds"].values()):
        report.problem("seconds should hold training times in seconds")
    description = results.get("NETWORK")
    if report.problems or _network(description, ctx.params["net_seed"], report) is None:
        return report
    n_validation = _split(ctx.params)[1][1].size
    for eta in (etas[0], etas[-1]):
        validation, _ = _run(description, {"eta": eta}, ctx.params)
        if not _same(tables["results"][eta], validation, n_validation):
            report.problem(f"results[{eta:g}] is not the validation accuracy of the run with eta = {eta:g} "
                           "(trained again here from the same seed, it comes out differently)")
    return report


def best(results, ctx):
    report = Feedback(f"best_eta has the best validation accuracy, and its network reaches "
                      f"{SHALLOW_ACCURACY:.0%} on the test images")
    table, seconds = results.get("results"), results.get("seconds")
    if not isinstance(table, dict) or not table or not all(is_number(v) for v in table.values()):
        report.problem(f"results should map each rate to its validation accuracy; it is {describe(table)}")
        return report
    choice = results.get("best_eta")
    rates = {float(k): float(v) for k, v in table.items() if is_number(k)}
    if not is_number(choice) or float(choice) not in rates:
        report.problem(f"best_eta should be one of the rates tried; it is {describe(choice)}")
        return report
    choice = float(choice)
    if rates[choice] != max(rates.values()):
        report.problem("best_eta does not have the best validation accuracy in results")
    spent = results.get("training_seconds")
    recorded = {float(k): v for k, v in seconds.items() if is_number(k)} if isinstance(seconds, dict) else {}
    if not (is_number(spent) and 0 < spent < 600 and recorded.get(choice) == spent):
        report.problem("training_seconds should be the training time recorded for best_eta")
    description = results.get("NETWORK")
    if _network(description, ctx.params["net_seed"], report) is None:
        return report
    _, test = _run(description, {"eta": choice}, ctx.params)
    n_test = _split(ctx.params)[2][1].size
    accuracy = results.get("test_accuracy")
    if not _same(accuracy, test, n_test):
        report.problem("test_accuracy is not the test accuracy of best_eta's run (trained again here "
                       "from the same seed)")
    elif test < SHALLOW_ACCURACY:
        report.problem(f"the test accuracy {test:.1%} is below the {SHALLOW_ACCURACY:.0%} asked for")
    return report


def _settings(settings, report):
    if not isinstance(settings, dict) or not set(map(str, settings)) <= SETTINGS_KEYS \
            or "eta" not in settings:
        report.problem(f"SETTINGS should be a dict with eta and, if you use them, lmbda and dropout; it is "
                       f"{describe(settings)}")
        return None
    if not all(is_number(v) for v in settings.values()) or not 0 < settings["eta"] <= 100 \
            or not 0 <= settings.get("lmbda", 0.0) <= 1e3 or not 0 <= settings.get("dropout", 0.0) < 1:
        report.problem("SETTINGS: eta must be positive, lmbda >= 0, and dropout in [0, 1)")
        return None
    return {key: float(value) for key, value in settings.items()}


def better(results, ctx):
    report = Feedback("the better network beats the baseline's validation accuracy by 0.5 points, "
                      "trained again from the same seed, and test_accuracy is its test accuracy")
    description = results.get("NETWORK")
    settings = _settings(results.get("SETTINGS"), report)
    if settings is None or _network(description, ctx.params["net_seed"], report) is None:
        return report
    sizes = list(description["sizes"])
    if sizes[0] != 784 or sizes[-1] != 10:
        report.problem(f"the network should have 784 inputs and 10 outputs; sizes {sizes}")
        return report
    base_validation, _ = _run(BASELINE, {"eta": ctx.params["baseline_eta"]}, ctx.params)
    validation, test = _run(description, settings, ctx.params)
    n_test = _split(ctx.params)[2][1].size
    target = min(1.0, base_validation + 0.005)
    if validation < target - 1e-12:
        report.problem(f"trained again here, its validation accuracy is {validation:.1%}, short of the "
                       f"baseline's {base_validation:.1%} + 0.5 points")
    if not _same(results.get("test_accuracy"), test, n_test):
        report.problem("test_accuracy is not the test accuracy of this network's run (trained again here "
                       "from the same seed)")
    if not report.problems:
        report.note(f"validation accuracy {validation:.1%} against the baseline's {base_validation:.1%}; "
                    f"test accuracy {test:.1%}")
    return report

