"""tests/portability.py measures the lessons' checks under other BLAS kernels: it must record what
each check compares without changing what the lesson computes, and report a check that fails
without stopping the lesson."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import portability  # noqa: E402  (the script, imported from tests/)

CELLS = [
    "import numpy as np\nx = np.array([0.5, 0.8])\nruns = []",
    # a chained comparison, a comparison that is a value (not a claim), one inside a generator
    "# CHECK: the values\nshare = np.mean(x > 0.6)\nassert 0.1 < x.min() < x.max() < 1.0\n"
    "assert all(v > 0.4 for v in x), x\nassert share == 0.5\nruns.append('first')",
    # a failing check: recorded, and the lesson goes on
    "# CHECK: a claim that is false\nassert x.max() > 0.9, 'too small'\nruns.append('second')",
    "# CHECK: the lesson went on\nassert runs == ['first', 'second']\nassert np.allclose(x, [0.5, 0.8])",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("lesson") / "lesson.ipynb"
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": str(i), "metadata": {},
                   "outputs": [], "source": c} for i, c in enumerate(CELLS)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path, portability.run(path, "default", 1, timeout=120)


def test_the_comparisons_of_checks_are_recorded_with_their_margins(report):
    _, result = report
    assert result["errors"] == {}
    first = result["records"]["1"]
    chained = [v for v in first.values() if isinstance(v, dict) and v.get("text", "").startswith("0.1 <")]
    assert len(chained) == 1 and chained[0]["calls"] == 3      # the three links of the chain
    assert chained[0]["margin"] == pytest.approx(0.2)           # the worst link: x.max() < 1.0
    looped = [v for v in first.values() if isinstance(v, dict) and v.get("text") == "v > 0.4"]
    assert looped[0]["calls"] == 2 and looped[0]["margin"] == pytest.approx(0.1)   # the worst of two
    assert not any(v.get("text") == "x > 0.6" for v in first.values() if isinstance(v, dict))
    assert first["asserts"] == {"3": True, "4": True, "5": True}


def test_a_failing_check_is_reported_and_the_lesson_goes_on(report):
    path, result = report
    assert result["records"]["2"]["asserts"] == {"2": False}
    assert result["records"]["3"]["asserts"] == {"2": True, "3": True}
    rows = portability.summarise(path, {"A:1": result, "B:1": result})
    false_claim = [r for r in rows if r["cell"] == 2]
    assert false_claim[0]["failed_under"] == ["A:1", "B:1"]
    assert false_claim[0]["min_margin"] == pytest.approx(-0.1) and false_claim[0]["spread"] == 0


def test_settings_are_parsed_and_checked():
    assert portability.parse_setting("Haswell:2") == ("Haswell", 2)
    assert portability.parse_setting("Sandybridge") == ("Sandybridge", 1)
    with pytest.raises(Exception, match="KERNEL:THREADS"):
        portability.parse_setting("Haswell:0")
