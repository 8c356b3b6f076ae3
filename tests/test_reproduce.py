"""Tests for ``python -m nbhelpers reproduce``, on a tiny stand-in for full MNIST.

The stand-in is written by the test in the MNIST file format (real digits from the bundled sample:
150 training images, of which the last 50 become validation data, and 50 test images), and the
loader is pointed at it with its checksums, so the whole path runs: load, train every experiment
for one epoch, compare with the book, write the JSON file and the plot, resume, interrupt.
"""

import dataclasses
import hashlib
import json
import signal

import numpy as np
import pytest

from nbhelpers import cli, data, reproduce
from nbhelpers.data.idx import write_idx
from nbhelpers.engine.callbacks import Callback

N_TRAIN, N_VALIDATION, N_TEST = 150, 50, 50


@pytest.fixture
def standin(sample, tmp_path, monkeypatch):
    """Write the stand-in IDX files into a cache folder and make the loader accept them."""
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)

    def images(X):
        return np.round(X.T * 255).astype(np.uint8).reshape(-1, 28, 28)

    arrays = {"train_images": images(sample.train[0][:, :N_TRAIN]),
              "train_labels": sample.train[1][:N_TRAIN].astype(np.uint8),
              "test_images": images(sample.test[0][:, :N_TEST]),
              "test_labels": sample.test[1][:N_TEST].astype(np.uint8)}
    checksums = {}
    for role, filename in data.FILES.items():
        written = write_idx(folder / filename, arrays[role])
        checksums[filename] = hashlib.sha256(written.read_bytes()).hexdigest()
    monkeypatch.setitem(data.CHECKSUMS, "mnist", checksums)
    monkeypatch.setitem(data.SYSTEM_DIRS, "mnist", [])
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "VALIDATION_SIZE", N_VALIDATION)
    return tmp_path / "results"


def results_of(out):
    return json.loads((out / reproduce.RESULTS_FILE).read_text())["experiments"]


def test_list_names_every_experiment_with_the_books_figure(capsys):
    assert cli.main(["reproduce", "--list"]) == 0
    text = capsys.readouterr().out
    for name, experiment in reproduce.EXPERIMENTS.items():
        line = next(line for line in text.splitlines() if line.startswith(name + " "))
        if experiment.chapter != 5:
            assert f"{100 * experiment.book:.2f}%" in line, name
        assert f" {experiment.epochs} " in line, name
    for figure in ("97.80%", "98.78%", "99.06%", "99.23%", "99.37%", "99.60%", "99.67%", "95.42%",
                   "0.012, 0.060, 0.283"):
        assert figure in text


def test_every_experiment_runs_end_to_end_and_resumes(standin, capsys):
    out = standin
    assert cli.main(["reproduce", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    done = results_of(out)
    assert list(done) == list(reproduce.EXPERIMENTS)
    for name, entry in done.items():
        experiment = reproduce.EXPERIMENTS[name]
        assert entry["epochs"] == 1 and entry["book_epochs"] == experiment.epochs
        assert entry["book"] == experiment.book and entry["seconds"] >= 0
        if experiment.chapter == 5:
            assert [len(row) for row in entry["result"]] == [2, 3, 4]
            assert all(0 < v < 10 for row in entry["result"] for v in row)
        else:
            assert 0.0 <= entry["result"] <= 1.0, name
        assert f"--- {name}: ours" in printed
    assert f"Full MNIST: {N_TRAIN - N_VALIDATION} training, {N_VALIDATION} validation" in printed
    ensemble = done["ch6-ensemble"]
    assert len(ensemble["members"]) == reproduce.ENSEMBLE_SIZE
    assert len(ensemble["wrong"]) == round((1 - ensemble["result"]) * N_TEST)
    assert sorted(p.name for p in (out / "networks").iterdir()) == \
        [f"ch6-dropout-seed{k}-1epochs.npz" for k in range(reproduce.ENSEMBLE_SIZE)]
    assert (out / reproduce.PLOT_FILE).read_bytes().startswith(b"\x89PNG")

    # the same command again: everything is skipped
    before = (out / reproduce.RESULTS_FILE).read_text()
    assert cli.main(["reproduce", "--epochs", "1", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert again.count("already done") == len(reproduce.EXPERIMENTS) and "Epoch" not in again
    assert (out / reproduce.RESULTS_FILE).read_text() == before
    # --force runs the one named again; a chapter name selects its experiments
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--force", "--out", str(out)]) == 0
    assert "Epoch 0:" in capsys.readouterr().out
    assert results_of(out)["ch1-network"]["finished"] >= done["ch1-network"]["finished"]
    assert reproduce._selected(None, ["ch3"]) == reproduce.CHAPTERS["ch3"]


class CtrlC(Callback):
    """Press Ctrl-C during the first mini-batch of a training run."""

    def on_batch_end(self, run):
        signal.raise_signal(signal.SIGINT)


def test_ctrl_c_keeps_finished_experiments_and_resumes(standin, monkeypatch, capsys):
    out = standin
    experiment = reproduce.EXPERIMENTS["ch3-ce30"]

    def interrupted_run(session, epochs):
        from nbhelpers import network2

        net = network2.Network([784, 30, 10])
        net.SGD(session.data.train, epochs, 10, 0.5, callbacks=[CtrlC()])
        reproduce._check(net.history)

    broken = dataclasses.replace(experiment, run=interrupted_run)
    monkeypatch.setitem(reproduce.EXPERIMENTS, "ch3-ce30", broken)
    assert cli.main(["reproduce", "ch1-network", "ch3-ce30", "--epochs", "1", "--out", str(out)]) == 130
    assert "run the same command again to continue" in capsys.readouterr().err
    assert list(results_of(out)) == ["ch1-network"]
    monkeypatch.setitem(reproduce.EXPERIMENTS, "ch3-ce30", experiment)
    assert cli.main(["reproduce", "ch1-network", "ch3-ce30", "--epochs", "1", "--out", str(out)]) == 0
    assert "ch1-network: already done" in capsys.readouterr().out
    assert list(results_of(out)) == ["ch1-network", "ch3-ce30"]


def test_the_bundled_sample_instead_of_full_mnist(tmp_path, capsys):
    out = tmp_path / "sample"
    assert cli.main(["reproduce", "ch1-network", "--data", "sample", "--epochs", "1", "--out", str(out)]) == 0
    assert "The bundled sample: 4,000 training, 500 validation and 500 test images" in capsys.readouterr().out
    results = json.loads((out / reproduce.RESULTS_FILE).read_text())
    assert results["data"] == "sample" and 0.5 < results["experiments"]["ch1-network"]["result"] <= 1
    # a folder holding results on one data set is not mixed with another
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--out", str(out)]) == 1
    assert "holds results on 'sample', not 'mnist'" in capsys.readouterr().err


def test_missing_full_data_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setitem(data.SYSTEM_DIRS, "mnist", [])
    assert cli.main(["reproduce", "ch1-network", "--out", str(tmp_path / "results")]) == 1
    err = capsys.readouterr().err
    assert "python -m nbhelpers data download mnist" in err
    assert "download=False" not in err          # an argument of load_mnist the user never typed
    assert not (tmp_path / "results").exists()


def test_bad_arguments(tmp_path, capsys):
    for argv, message in ((["ch9"], "unknown experiment 'ch9'"), (["--epochs", "0"], "must be >= 1"),
                          (["--out", str(tmp_path / "file")], "is a file, not a folder")):
        (tmp_path / "file").write_text("x")
        with pytest.raises(SystemExit) as info:
            cli.main(["reproduce", *argv])
        assert info.value.code == 2
        assert message in capsys.readouterr().err
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / reproduce.RESULTS_FILE).write_text("{not json")
    assert cli.main(["reproduce", "ch1-network", "--out", str(tmp_path / "out")]) == 1
    assert "cannot be read as a results file" in capsys.readouterr().err


@pytest.mark.parametrize("accuracies", [
    {"ch1-network": 0.90, "ch3-overfit": 0.854, "ch3-overfit-l2": 0.882, "ch6-expanded": 0.98},
    {"ch1-network": 0.90, "ch6-conv2": 0.10, "ch6-relu": 0.924},     # a run still on its plateau
])
def test_the_plot_keeps_every_label_readable(accuracies):
    """Every bar's label lies inside the accuracy panel (one was cut off at its left edge), and the
    legend covers neither a bar label nor the x-axis label (it sat on "accuracy (%)")."""
    done = {name: {"result": value, "epochs": 1} for name, value in accuracies.items()}
    done["ch5-gradients"] = {"result": [[0.07, 0.27], [0.01, 0.05, 0.22], [0.002, 0.01, 0.05, 0.25]],
                             "epochs": 0}
    figure = reproduce.plot_results({"data": "sample", "experiments": done})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    ax = figure.axes[0]
    panel = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text().replace(".", "").isdigit()]
    assert len(labels) == len(accuracies)
    for text in labels:
        box = text.get_window_extent(renderer)
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1, f"the label {text.get_text()} is cut off"
    legend = ax.get_legend().get_window_extent(renderer)
    for other in [ax.xaxis.label, *labels]:
        covered = legend.overlaps(other.get_window_extent(renderer))
        assert not covered, f"the legend covers {other.get_text()!r}"
    assert 0 <= legend.y0 and legend.y1 <= figure.bbox.y1            # and it is on the figure
