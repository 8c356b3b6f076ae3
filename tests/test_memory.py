"""Memory bounds: what a network, a mini-batch or a convolution needs is checked against what
this process may really take (the machine's available memory, its rlimits, its container's
limit), counting activations and workspaces, not only parameters, before anything is allocated."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import Network, memory, validate
from nbhelpers.layers import Conv2D, Dense, Flatten, MaxPool2D

ROOT = Path(__file__).resolve().parents[1]
GiB = 2**30


@pytest.fixture
def budget(monkeypatch):
    """Pretend this process may take ``gib`` GiB more: ``budget(2)``."""
    def set_budget(gib):
        monkeypatch.setattr(validate, "available_memory",
                            lambda: memory.Budget(int(gib * GiB), "a test allows {}"))
    return set_budget


def test_a_huge_convolution_is_refused_when_its_maps_cannot_fit(budget):
    """Conv2D(1, 1e6, 5) was built, and then one 28x28 image needed 4.29 GiB for z alone."""
    budget(2)
    wide = Conv2D(1, 10**6, 5)                # its 26 million weights fit
    with pytest.raises(ValueError, match=r"^a: Conv2D\(in_channels=1, out_channels=1000000.* on 1 "
                                         r"example of 28x28 has 1,152,014,400 numbers, which need "
                                         r"about 8.6 GB of memory \(its patches, z and a'\); a test "
                                         r"allows 2.0 GB"):
        wide.forward(np.zeros((1, 28, 28, 1)))
    with pytest.raises(ValueError, match=r"^layers\[0\]: one example's pass through Conv2D\(.*has "
                                         r"[\d,]+ numbers, which need about [\d.]+ GB"):
        Network([wide, MaxPool2D(24), Flatten(), Dense(10**6, 10)], input_shape=(1, 28, 28))


def test_a_mini_batch_whose_activations_cannot_fit_is_refused_before_training(budget, sample):
    """100 images through Conv2D(1, 3000, 5) need 1.29 GiB for z alone (and as much for a')."""
    X, y = sample.train
    net = Network([Conv2D(1, 3000, 5), MaxPool2D(4), Flatten(), Dense(3000 * 36, 10)],
                  input_shape=(1, 28, 28), dtype=np.float32)
    before = net.layers[0].w.copy()
    budget(1)
    with pytest.raises(ValueError, match=r"^mini_batch_size: training with mini-batches of 100 has "
                                         r"[\d,]+ numbers, which need about [\d.]+ GB of memory "
                                         r"\(every layer's outputs for the backward pass, and the "
                                         r"training data\); a test allows 1.0 GB"):
        net.SGD((X[:, :200], y[:200]), 1, 100, 0.1, progress=False, verbose=False)
    assert np.array_equal(net.layers[0].w, before)


def _run(code, limit_as=None):
    """Run Python ``code`` in a fresh process, optionally under an address-space limit."""
    def limit():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env=env, preexec_fn=limit, timeout=120)


def test_the_address_space_limit_is_respected():
    """`train --sizes 784 20000 20000 10` under `ulimit -v 3000000` ended in a MemoryError
    traceback: MemAvailable was all that was asked."""
    result = _run("from nbhelpers import memory; b = memory.available_memory(); "
                  "print(b.bytes, b.source)", limit_as=3 * 10**9)
    assert result.returncode == 0, result.stderr
    left, source = result.stdout.split(" ", 1)
    assert 0 < int(left) < 3 * 10**9
    assert "address-space limit (ulimit -v) of 2.8 GB leaves {}" in source
    cli = _run("import sys; from nbhelpers.cli import main; "
               "sys.exit(main(['train', '--sizes', '784', '20000', '20000', '10', '--no-progress']))",
               limit_as=3 * 10**9)
    assert cli.returncode == 2, cli.stderr
    assert "Traceback" not in cli.stderr and "MemoryError" not in cli.stderr
    assert "argument --sizes: a network of sizes [784, 20000, 20000, 10] has 415,920,010 numbers" \
        in cli.stderr and "address-space limit (ulimit -v)" in cli.stderr


@pytest.mark.parametrize("version", [1, 2])
def test_a_containers_memory_limit_is_respected(tmp_path, monkeypatch, version):
    """A JupyterHub pod's kernel is killed at the pod's limit, however much the machine has."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 67108864 kB\nMemAvailable: 60000000 kB\n")
    (proc / "self" / "status").write_text("VmSize: 1000 kB\nVmData: 1000 kB\n")
    cgroups = tmp_path / "cgroup"
    if version == 2:
        (proc / "self" / "cgroup").write_text("0::/kubepods/pod42/kernel\n")
        folder = cgroups / "kubepods" / "pod42" / "kernel"
        folder.mkdir(parents=True)
        (folder / "memory.max").write_text(f"{2 * GiB}\n")
        (folder / "memory.current").write_text(f"{GiB // 2}\n")
    else:
        (proc / "self" / "cgroup").write_text("12:pids:/x\n4:memory:/kubepods/pod42\n0::/\n")
        folder = cgroups / "memory"            # in the container the group is the mount itself
        folder.mkdir(parents=True)
        (folder / "memory.limit_in_bytes").write_text(f"{2 * GiB}\n")
        (folder / "memory.usage_in_bytes").write_text(f"{GiB // 2}\n")
    monkeypatch.setattr(memory, "PROC", proc)
    monkeypatch.setattr(memory, "CGROUP_ROOT", cgroups)
    budget = memory.available_memory()
    assert budget.bytes == 3 * GiB // 2
    assert budget.source.format("1.5 GB") == "the memory limit of this container of 2.0 GB leaves 1.5 GB"
    with pytest.raises(ValueError, match="sizes: a network of sizes .* the memory limit of this "
                                         "container of 2.0 GB leaves 1.5 GB"):
        Network([784, 20000, 10000, 10])
    # "max" is no limit: the machine's memory counts again
    if version == 2:
        (folder / "memory.max").write_text("max\n")
        assert memory.available_memory() == memory.Budget(60000000 * 1024,
                                                          "this machine has {} of memory available")


def test_small_allocations_never_ask_the_system(monkeypatch):
    def fail():
        raise AssertionError("asked for a small allocation")
    monkeypatch.setattr(validate, "available_memory", fail)
    Network([784, 100, 10]).feedforward(np.zeros((784, 10)))
    Conv2D(1, 20, 5).forward(np.zeros((1, 28, 28, 10)))
