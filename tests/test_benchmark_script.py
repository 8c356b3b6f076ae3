"""The benchmark script runs and reports every contender (its figures are not asserted: it is a
benchmark, not a timed test)."""

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_training.py"


@pytest.mark.slow
def test_benchmark_reports_both_cases(capsys):
    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--repeats", "1", "--images", "400"])   # every case, on a tenth of the sample
    out = capsys.readouterr().out
    for row in ("[784, 30, 10], mini-batch 10, quadratic",
                "[784, 100, 10], mini-batch 10, cross-entropy + L2",
                "per-example loop", "nbhelpers engine, float64", "nbhelpers engine, float32",
                "PyTorch", "The book's chapter-1 command", "mnist_loader's lists",
                "plain lists (stacked first)", "The book's first conv net"):
        assert row in out
    assert out.count(" /s ") >= 9  # the loop and both engine modes in two cases, three book rows
    assert "s/epoch" in out and "peak" in out


def test_reference_loop_matches_the_engine_gradient(sample):
    """The per-example reference computes the same step as the engine, so the race is fair."""
    import numpy as np

    from nbhelpers import Network

    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    X, y = sample.train
    reference = bench.PerExampleNetwork([784, 20, 10], cross_entropy=True)
    net = Network([784, 20, 10], cost="cross_entropy")
    net.weights = [w.copy() for w in reference.weights]
    net.biases = [b.copy() for b in reference.biases]
    pairs = [(X[:, [i]], np.eye(10)[:, [y[i]]]) for i in range(10)]
    reference.update_mini_batch(pairs, 0.5, 5.0, 100)
    net.update_mini_batch(X[:, :10], np.eye(10)[:, y[:10]], 0.5, 5.0, 100)
    for a, b in zip(reference.weights + reference.biases, net.weights + net.biases):
        assert np.allclose(a, b)


@pytest.mark.slow
def test_chapter_6_benchmark_times_every_network_against_pytorch(capsys):
    """Every chapter-6 network, both contenders, both thread counts (on 50 images: a smoke test)."""
    spec = importlib.util.spec_from_file_location("bench_ch6", SCRIPT.parent / "bench_ch6.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--images", "50"])
    out = capsys.readouterr().out
    assert "one epoch of 50 images" in out and "1 thread" in out and "2 threads" in out
    with_torch = importlib.util.find_spec("torch") is not None   # without it: ours alone, "-" for PyTorch
    for name, *_ in bench.NETWORKS:
        row = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
        if with_torch:
            assert len(re.findall(r"\d s\b", row)) == 4 and row.count("x)") == 2, row
        else:
            assert len(re.findall(r"\d s\b", row)) == 2 and len(re.findall(r"\d s -", row)) == 2, row


def test_the_cpu_clock_leaves_out_time_spent_waiting():
    """bench_ch6 --clock cpu times by this process's CPU time: a wait the machine spends elsewhere
    (here a sleep, on a busy machine other programs) is not counted."""
    import time

    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.best_time(lambda: time.sleep(0.2), 1) >= 0.2
    assert bench.best_time(lambda: time.sleep(0.2), 1, time.process_time) < 0.1
