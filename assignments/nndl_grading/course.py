"""The course secret, and the numbers of each assignment that follow from it.

The public repository holds every solution, so the numbers a student must get right differ from
course to course: the function and starting point of ``01-gradient-descent``, the hidden networks
of ``02-backpropagation`` (the seeds of the grader's inputs), the data split and seeds of
``03-fashion-mnist`` and ``04-exploration``. They all follow from one secret the instructor keeps:

- ``$NNDL_COURSE_SECRET`` if set, else the file ``course-secret.txt`` in the course folder
  (``assignments/``), which ``nbgrader generate_assignment`` creates with a random secret the
  first time (keep it, and keep it out of students' reach: the grader needs the same secret to
  grade what was released with it);
- ``None`` stands for the public numbers, the ones the solution notebooks in ``source/`` show.

``parameters(name, secret)`` gives an assignment's numbers, ``seed(name, test, secret)`` the seed
of one hidden test's inputs, and ``texts(name, secret)`` the lines ``render`` writes into the
notebooks.

Used by: ``render`` (generate_assignment, generate_solution), the grader's checks, and
``make_demo_class.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import random
import secrets as _secrets
from pathlib import Path

import numpy as np

__all__ = ["CourseError", "SECRET_FILE", "load_secret", "seed", "parameters", "texts",
           "gradient_descent_numbers"]

SECRET_FILE = "course-secret.txt"
ENVIRONMENT = "NNDL_COURSE_SECRET"


class CourseError(RuntimeError):
    """The course is set up wrongly (no secret, or numbers that no longer match a release)."""


def load_secret(course_dir, create=False, log=None):
    """The course secret (see the module); with ``create``, a new random one is written to
    ``course-secret.txt`` when there is none."""
    value = os.environ.get(ENVIRONMENT)
    if value is not None:
        value = value.strip()
        if len(value) < 8:
            raise CourseError(f"${ENVIRONMENT} must hold at least 8 characters; it holds {len(value)}")
        return value
    path = Path(course_dir) / SECRET_FILE
    if path.is_file():
        value = path.read_text().strip()
        if len(value) < 8:
            raise CourseError(f"{path} must hold a secret of at least 8 characters")
        return value
    if not create:
        raise CourseError(f"no course secret: neither ${ENVIRONMENT} nor {path} is set; "
                          "`nbgrader generate_assignment` creates the file")
    value = _secrets.token_hex(16)
    temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    os.replace(temporary, path)
    if log is not None:
        log.warning("Created the course secret %s: keep it (the grader needs it) and never give it "
                    "to students", path)
    return value


def _derive(secret, *labels):
    """A whole number in [0, 2**31) that follows from the secret and the labels."""
    key = b"public" if secret is None else secret.encode()
    digest = hmac.new(key, "/".join(labels).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % 2**31


def seed(name, test, secret=None):
    """The seed of the inputs of hidden test ``test`` (e.g. "gd/df") of assignment ``name``."""
    return _derive(secret, name, "probe", test)


# ---------------------------------------------------------------- 01: the function to minimise

PUBLIC_FUNCTION = (-3, 0, 7, -5, 0.0)      # f = x^4/4 + B x^3 + C x^2 + E x + D, and x0
STEPS = 30
#: 03 and 04: the training budget (epochs, mini-batch size, training and validation images of the
#: sample) and the baseline of 04 (the shallow network of 03 at its best rate)
FASHION = {"epochs": 2, "mini_batch": 10, "n_train": 2000, "n_validation": 1000, "baseline_eta": 0.3}


def _round(x, digits=1):
    return float(f"{x:.{digits}g}")


def _steps_to(f_prime, x0, eta, target, tolerance=1e-6, limit=2000):
    x = x0
    for k in range(limit):
        if abs(x - target) < tolerance:
            return k
        x = x - eta * f_prime(x)
        if not math.isfinite(x) or abs(x) > 1e6:
            return limit
    return limit


def gradient_descent_numbers(B, C, E, D, x0):
    """Everything about f = x^4/4 + B x^3 + C x^2 + E x + D from x0 that the assignment uses, or
    None when this f does not make a good assignment (see ``_good``)."""
    def f_prime(x):
        return x**3 + 3 * B * x**2 + 2 * C * x + E

    roots = np.roots([1.0, 3.0 * B, 2.0 * C, float(E)])
    if np.any(np.abs(roots.imag) > 1e-9):
        return None
    r1, r2, r3 = np.sort(roots.real)
    curvature = 3 * r1**2 + 6 * B * r1 + 2 * C
    if curvature <= 0:
        return None
    mid = _round(0.9 / curvature)
    etas = (_round(mid / 5), mid, _round(1.73 / curvature))
    larger = _round(2.1 / curvature, 2)
    return {"B": B, "C": C, "E": E, "D": D, "x0": x0, "roots": (float(r1), float(r2), float(r3)),
            "curvature": float(curvature), "etas": etas, "larger": larger, "steps": STEPS,
            "f_prime": f_prime, "needed": {eta: _steps_to(f_prime, x0, eta, r1) for eta in etas},
            "value": lambda x: x**4 / 4 + B * x**3 + C * x**2 + E * x + D}


def _good(n):
    """The assignment's story holds: descent from x0 goes left into the local minimum r1, the
    global one is r3, the middle rate is the fastest, the largest oscillates but converges, and
    the 'somewhat larger' rate of the written question does not settle."""
    if n is None:
        return False
    r1, r2, r3 = n["roots"]
    small, mid, big = n["etas"]
    k = n["curvature"]
    if not (r2 - r1 >= 1.0 and r3 - r2 >= 3.0 and r1 + 0.4 < n["x0"] < r2 - 0.3 and 8 <= k <= 40):
        return False
    if n["value"](r3) > n["value"](r1) - 1.0 or n["f_prime"](n["x0"]) <= 0:
        return False
    if not (small < mid < big < n["larger"] and 0.4 < 1 - small * k < 0.95 and abs(1 - mid * k) < 0.35
            and -0.95 < 1 - big * k < -0.4 and 1 - n["larger"] * k < -1.02):
        return False
    needed = n["needed"]
    if not (needed[mid] < needed[big] < 1000 and needed[mid] < needed[small] and needed[mid] <= 20):
        return False
    x = n["x0"]
    for _ in range(STEPS):        # every run stays in the basin of r1
        x = x - big * n["f_prime"](x)
        if not (x < r2):
            return False
    return True


def _function_numbers(secret):
    if secret is None:
        numbers = gradient_descent_numbers(*PUBLIC_FUNCTION)
        assert _good(numbers), "the public function no longer makes a good assignment"
        return numbers
    rng = random.Random(_derive(secret, "01-gradient-descent", "function"))
    for _ in range(20000):
        B, C, E, D = rng.randint(-4, -2), rng.randint(-4, 4), rng.randint(2, 12), rng.randint(-9, 9)
        for x0 in rng.sample([0.0, 0.5, -0.5, 1.0, -1.0], 5):
            numbers = gradient_descent_numbers(B, C, E, D, x0)
            if _good(numbers):
                return numbers
    raise CourseError("no function fits 01-gradient-descent for this secret (choose another)")


# ---------------------------------------------------------------- every assignment

def parameters(name, secret=None):
    """The numbers of assignment ``name`` for the course with ``secret`` (None: the public ones)."""
    if name == "01-gradient-descent":
        return _function_numbers(secret)
    if name in ("03-fashion-mnist", "04-exploration"):
        public = secret is None
        return {"split_seed": 0 if public else _derive(secret, "fashion", "split") % 10_000,
                "net_seed": 0 if public else _derive(secret, "fashion", "network") % 10_000,
                **FASHION}
    return {}


def _term(coefficient, power, first=False):
    if coefficient == 0:
        return ""
    sign = "-" if coefficient < 0 else "+"
    size = abs(coefficient)
    x = "x" if power == 1 else f"x**{power}"
    body = x if power and size == 1 else (f"{size:g}" if power == 0 else f"{size:g} * {x}")
    return (f"-{body}" if sign == "-" else body) if first else f" {sign} {body}"


def _latex_term(coefficient, power):
    if coefficient == 0:
        return ""
    sign = "-" if coefficient < 0 else "+"
    size = abs(coefficient)
    x = "x" if power == 1 else f"x^{power}"
    body = x if power and size == 1 else (f"{size:g}" if power == 0 else f"{size:g}{x}")
    return f" {sign} {body}"


def _gradient_descent_texts(n):
    B, C, E, D = n["B"], n["C"], n["E"], n["D"]
    f_code = "x**4 / 4" + _term(B, 3) + _term(C, 2) + _term(E, 1) + _term(D, 0)
    df_code = "x**3" + _term(3 * B, 2) + _term(2 * C, 1) + _term(E, 0)
    f_latex = r"\frac{x^4}{4}" + _latex_term(B, 3) + _latex_term(C, 2) + _latex_term(E, 1) + _latex_term(D, 0)
    small, mid, big = n["etas"]
    r1, k = n["roots"][0], n["curvature"]
    etas = ", ".join(f"{e:g}" for e in n["etas"])
    return {
        "f_latex": f"$$f(x) = {f_latex}$$",
        "f": f"return {f_code}",
        "x0": f"X0 = {n['x0']:g}" + (".0" if float(n["x0"]).is_integer() else "")
              + "                   # where every run starts",
        "etas": f"ETAS = ({etas})   # the learning rates to compare",
        "steps": f"STEPS = {n['steps']}                 # steps per run",
        "start_text": f"from $x_0 = {n['x0']:g}$ with three learning rates, and explain what you see.",
        "df": f"return {df_code}",
        "local_minimum": f"local_minimum = float(runs[{mid:g}][-1])",
        "best_eta": f"best_eta = {mid:g}",
        "question": (f"Look at the run with $\\eta = {big:g}$. Describe what $x_k$ does on its way to the "
                     f"minimum and explain\nwhy, using the size of the step $\\eta f'(x)$ near the minimum "
                     f"(hint: near a minimum $x^*$,\n$f'(x) \\approx f''(x^*)(x - x^*)$). What would happen "
                     f"with "
                     f"a somewhat larger rate, say\n$\\eta = {n['larger']:g}$? A few sentences are enough."),
        "answer": (
            f"With $\\eta = {big:g}$ the run overshoots: after the first step it lands beyond the minimum, "
            f"and from\nthen on $x_k$ jumps from one side of $x^* \\approx {r1:.3f}$ to the other, each jump "
            f"a little smaller,\nso it still converges but more slowly than with $\\eta = {mid:g}$. Near the "
            f"minimum\n$f'(x) \\approx f''(x^*)(x - x^*)$ with $f''(x^*) \\approx {k:.1f}$, so one step\n"
            f"multiplies the distance to the minimum by $1 - \\eta f''(x^*)$: about "
            f"${1 - small * k:.2f}$ for "
            f"$\\eta = {small:g}$\n(slow, same side), ${1 - mid * k:.2f}$ for $\\eta = {mid:g}$ (fast), and "
            f"${1 - big * k:.2f}$ for $\\eta = {big:g}$ (the sign flips\neach step: oscillation). Once "
            f"$\\eta > 2/f''(x^*) \\approx {2 / k:.3f}$ that factor is below $-1$ and the\noscillation grows "
            f"instead of dying out, so $\\eta = {n['larger']:g}$ never settles at the minimum."),
    }


def texts(name, secret=None):
    """The text ``render`` puts in place of each ``COURSE`` marker of assignment ``name``."""
    numbers = parameters(name, secret)
    if name == "01-gradient-descent":
        return _gradient_descent_texts(numbers)
    if "split_seed" in numbers:
        return {
            "split_seed": f"SPLIT_SEED = {numbers['split_seed']}  # which images train and which validate",
            "net_seed": f"NET_SEED = {numbers['net_seed']}  # every network starts from this seed",
            "budget": f"EPOCHS, MINI_BATCH = {numbers['epochs']}, {numbers['mini_batch']}",
            "n_train": f"N_TRAIN, N_VALIDATION = (None, 10_000) if FULL_DATA else ({numbers['n_train']}, "
                       f"{numbers['n_validation']})",
            "baseline_eta": f"BASELINE_ETA = {numbers['baseline_eta']:g}  # the best of the rates the "
                            "shallow-network assignment compares",
        }
    return {}
