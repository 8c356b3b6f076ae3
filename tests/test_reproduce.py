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
def standin(sample, tmp_path, monkeypatch, accept_files):
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
    accept_files("mnist", folder)
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
        if not isinstance(experiment.book, list):
            assert f"{100 * experiment.book:.2f}%" in line, name
        assert f" {experiment.epochs} " in line, name
    for figure in ("97.80%", "98.78%", "99.06%", "99.23%", "99.37%", "99.60%", "99.67%", "95.42%",
                   "0.012, 0.060, 0.283"):
        assert figure in text


@pytest.mark.slow
def test_every_experiment_runs_end_to_end_and_resumes(standin, capsys):
    out = standin
    assert cli.main(["reproduce", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    done = results_of(out)
    assert list(done) == list(reproduce.EXPERIMENTS)
    for name, entry in done.items():
        experiment = reproduce.EXPERIMENTS[name]
        [run] = entry["runs"]
        assert run["epochs"] == 1 and run["seed"] == 0 and entry["book_epochs"] == experiment.epochs
        assert entry["book"] == experiment.book and run["seconds"] >= 0 and run["cpu_seconds"] >= 0
        if name == "ch5-gradients":
            assert [len(row) for row in run["result"]] == [2, 3, 4]
            assert all(0 < v < 10 for row in run["result"] for v in row)
        else:
            assert 0.0 <= run["result"] <= 1.0, name
        assert f"--- {name}, seed 0: ours" in printed
    assert f"Full MNIST: {N_TRAIN - N_VALIDATION} training, {N_VALIDATION} validation" in printed
    [ensemble] = done["ch6-ensemble"]["runs"]
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
    assert results_of(out)["ch1-network"]["runs"][0]["finished"] >= done["ch1-network"]["runs"][0]["finished"]
    assert reproduce._selected(None, ["ch3"]) == reproduce.CHAPTERS["ch3"]


class CtrlC(Callback):
    """Press Ctrl-C during the first mini-batch of a training run."""

    def on_batch_end(self, run):
        signal.raise_signal(signal.SIGINT)


def test_ctrl_c_keeps_finished_experiments_and_resumes(standin, monkeypatch, capsys):
    out = standin
    experiment = reproduce.EXPERIMENTS["ch3-ce30"]

    def interrupted_run(session, epochs, seed):
        from nbhelpers import network2

        net = network2.Network([784, 30, 10])
        net.SGD(session.data.train, epochs, 10, 0.5, callbacks=[CtrlC()])
        reproduce._check(net.history)

    broken = dataclasses.replace(experiment, run=interrupted_run)
    monkeypatch.setitem(reproduce.EXPERIMENTS, "ch3-ce30", broken)
    assert cli.main(["reproduce", "ch1-network", "ch3-ce30", "--epochs", "1", "--out", str(out)]) == 130
    assert "run the same command again to continue" in capsys.readouterr().err
    assert list(results_of(out)) == ["ch1-network"]
    assert (out / reproduce.PLOT_FILE).read_bytes().startswith(b"\x89PNG")    # drawn when interrupted
    monkeypatch.setitem(reproduce.EXPERIMENTS, "ch3-ce30", experiment)
    assert cli.main(["reproduce", "ch1-network", "ch3-ce30", "--epochs", "1", "--out", str(out)]) == 0
    assert "ch1-network, seed 0: already done" in capsys.readouterr().out
    assert list(results_of(out)) == ["ch1-network", "ch3-ce30"]


def test_the_bundled_sample_instead_of_full_mnist(tmp_path, capsys):
    out = tmp_path / "sample"
    assert cli.main(["reproduce", "ch1-network", "--data", "sample", "--epochs", "1", "--out", str(out)]) == 0
    assert "The bundled sample: 4,000 training, 500 validation and 500 test images" in capsys.readouterr().out
    results = json.loads((out / reproduce.RESULTS_FILE).read_text())
    [run] = results["experiments"]["ch1-network"]["runs"]
    assert results["data"] == "sample" and 0.5 < run["result"] <= 1
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


def test_seeds_give_mean_spread_and_range_and_keep_every_run(standin, capsys):
    out = standin
    assert cli.main(["reproduce", "ch1-network", "ch5-gradients", "--seeds", "3", "--epochs", "1",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    runs = results_of(out)["ch1-network"]["runs"]
    assert [run["seed"] for run in runs] == [0, 1, 2]
    stats = reproduce.statistics(runs, 0.9542)
    values = [run["result"] for run in runs]
    assert stats["n"] == 3 and np.isclose(stats["mean"], np.mean(values))
    assert np.isclose(stats["std"], np.std(values, ddof=1))
    assert (stats["min"], stats["max"]) == (min(values), max(values))
    line = next(line for line in printed.splitlines() if line.startswith("ch1-network "))
    assert f"{100 * stats['mean']:.2f}% ± {100 * stats['std']:.2f}" in line and "3 runs)" in line
    assert "95.42%" in line and stats["book_is"] in line
    gradients = results_of(out)["ch5-gradients"]["runs"]
    assert len({json.dumps(run["result"]) for run in gradients}) == 3     # each seed its own weights
    # a later command with more seeds runs only the new ones
    assert cli.main(["reproduce", "ch1-network", "--seeds", "4", "--epochs", "1", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert again.count("already done") == 3 and "=== ch1-network (chapter 1), seed 3" in again
    assert [run["seed"] for run in results_of(out)["ch1-network"]["runs"]] == [0, 1, 2, 3]


def test_where_the_books_figure_lies():
    runs = [{"seed": s, "epochs": 1, "result": r} for s, r in enumerate([0.95, 0.96, 0.97])]
    assert reproduce.statistics(runs, 0.955)["book_is"] == "inside"
    assert reproduce.statistics(runs, 0.97)["book_is"] == "inside"
    assert reproduce.statistics(runs, 0.9701)["book_is"] == "above"
    assert reproduce.statistics(runs[:1], 0.94)["book_is"] == "below"
    assert reproduce.statistics(runs[:1], 0.94)["std"] == 0.0


def test_two_commands_sharing_a_folder_keep_each_others_runs(standin, capsys):
    """Each command merges its runs into the file as it is when it writes, not as it was at start."""
    from nbhelpers.reproduce import results as store

    out = standin
    out.mkdir(parents=True)
    first = store.load_results(out / reproduce.RESULTS_FILE)     # both start from the same file
    second = store.load_results(out / reproduce.RESULTS_FILE)
    header = {"chapter": 1, "title": "t", "measure": "m", "book": 0.9542, "book_epochs": 30}
    store.record_run(out, first, "ch1-network", header, {"seed": 0, "epochs": 30, "result": 0.95})
    store.record_run(out, second, "ch1-network", header, {"seed": 1, "epochs": 30, "result": 0.94})
    store.record_run(out, first, "ch3-ce30", dict(header, chapter=3, book=0.9649),
                     {"seed": 0, "epochs": 30, "result": 0.96})
    done = results_of(out)
    assert [run["seed"] for run in done["ch1-network"]["runs"]] == [0, 1]
    assert list(done) == ["ch1-network", "ch3-ce30"]


def test_the_results_file_is_locked_while_a_run_is_merged(standin):
    import fcntl
    import threading

    from nbhelpers.reproduce import results as store

    out = standin
    out.mkdir(parents=True)
    header = {"chapter": 1, "title": "t", "measure": "m", "book": 0.9542, "book_epochs": 30}
    with open(out / store.LOCK_FILE, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)        # another command is writing
        writer = threading.Thread(target=store.record_run, args=(
            out, store.load_results(out / reproduce.RESULTS_FILE), "ch1-network", header,
            {"seed": 0, "epochs": 30, "result": 0.95}))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and not (out / reproduce.RESULTS_FILE).exists()   # it waits
        fcntl.flock(held, fcntl.LOCK_UN)
    writer.join(10)
    assert not writer.is_alive() and len(results_of(out)["ch1-network"]["runs"]) == 1


@pytest.mark.parametrize("out", ["/sys", "/proc/nbhelpers-results"])
def test_an_unwritable_out_folder_is_refused_before_any_training(standin, out, capsys):
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--out", out]) == 1
    captured = capsys.readouterr()
    assert "argument --out:" in captured.err and "===" not in captured.out


@pytest.mark.parametrize("entry,message", [
    (5, "experiment 'ch1-network' holds 5, not an object"),
    ({"runs": [{"seed": 0, "epochs": 30}]}, "a run of experiment 'ch1-network' has no 'result'"),
    ({"runs": [5]}, "experiment 'ch1-network' holds 5 where a run (an object) belongs"),
    ({"runs": [{"seed": 0, "epochs": 30, "result": "high"}]}, "has result \"high\", not an accuracy"),
    ({"runs": [{"seed": 0, "epochs": 30, "result": 1.5}]}, "has result 1.5, not an accuracy in [0, 1]"),
    ({"runs": [{"seed": "0", "epochs": 30, "result": 0.9}]}, "has seed '0', not a whole number"),
    ({"runs": {}}, "experiment 'ch1-network' has no list of runs"),
])
def test_a_damaged_results_file_is_refused_with_a_message(entry, message, tmp_path, capsys):
    (tmp_path / reproduce.RESULTS_FILE).write_text(json.dumps(
        {"format": reproduce.FORMAT, "data": "mnist", "experiments": {"ch1-network": entry}}))
    assert cli.main(["reproduce", "ch1-network", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "move it away" in err


def test_a_results_file_of_the_first_format_is_read_as_seed_0(tmp_path):
    old = {"format": "nbhelpers-reproduce-1", "data": "mnist", "experiments": {"ch1-network": {
        "chapter": 1, "title": "t", "measure": "m", "book": 0.9542, "epochs": 30, "book_epochs": 30,
        "seconds": 60.0, "result": 0.9531, "final": 0.95}}}
    (tmp_path / reproduce.RESULTS_FILE).write_text(json.dumps(old))
    results = reproduce.load_results(tmp_path / reproduce.RESULTS_FILE)
    [run] = results["experiments"]["ch1-network"]["runs"]
    assert run == {"seed": 0, "epochs": 30, "seconds": 60.0, "result": 0.9531, "final": 0.95}
    assert results["experiments"]["ch1-network"]["book"] == 0.9542


def test_mnist_dir_names_the_folder(standin, tmp_path, capsys):
    cache = tmp_path / "cache" / "mnist"
    shared = tmp_path / "shared drive"
    shared.mkdir()
    import gzip

    for path in cache.iterdir():                     # the same files, not gzipped, elsewhere
        (shared / path.name[:-3]).write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    out = tmp_path / "out"
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--out", str(out),
                     "--mnist-dir", str(shared)]) == 0
    assert "Full MNIST: 100 training" in capsys.readouterr().out
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--out", str(out),
                     "--mnist-dir", str(tmp_path / "nowhere")]) == 1
    assert "error: argument --mnist-dir: folder:" in capsys.readouterr().err


def test_the_results_as_a_markdown_table(tmp_path, capsys):
    runs = [{"seed": s, "epochs": 30, "result": r, "cpu_seconds": 10.0, "seconds": w}
            for s, r, w in [(0, 0.95, 30.0), (1, 0.96, 12.0)]]
    gradients = [{"seed": 0, "epochs": 500, "result": [[0.1, 0.2], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4]]}]
    (tmp_path / reproduce.RESULTS_FILE).write_text(json.dumps({
        "format": reproduce.FORMAT, "data": "mnist", "experiments": {
            "ch1-network": {"book": 0.9542, "book_epochs": 30, "runs": runs + [
                {"seed": 0, "epochs": 1, "result": 0.5}]},          # a quick trial: left out
            "ch3-ce30": {"book": 0.9649, "book_epochs": 30, "runs": [
                {"seed": 0, "epochs": 2, "result": 0.9}]},          # only a trial: shown as one
            "ch5-gradients": {"book": reproduce.EXPERIMENTS["ch5-gradients"].book, "runs": gradients}}}))
    assert cli.main(["reproduce", "--table", "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| experiment |") and len(table) == 5
    assert table[2] == ("| ch1-network | [784, 30, 10], quadratic cost | 95.42% | 95.50% ± 0.71 "
                        "| 95.00-96.00% (2) | inside our range | 30 | 10 s / 12 s "
                        "| `python -m nbhelpers reproduce ch1-network --seeds 2` |")
    assert table[3].endswith("| above ours | 2 | - / - "
                             "| `python -m nbhelpers reproduce ch3-ce30 --epochs 2` |")
    assert table[4].startswith("| ch5-gradients |") and "0.100 0.200 / 0.100 0.200 0.300 /" in table[4]
    assert table[4].endswith("`python -m nbhelpers reproduce ch5-gradients` |")
    assert cli.main(["reproduce", "--table", "brief", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == [
        "| ch1-network | 95.42% | 95.50% ± 0.71 (95.00-96.00%, 2 runs) |",
        "| ch3-ce30 | 96.49% | 90.00% (1 run) |"]


@pytest.mark.parametrize("accuracies", [
    {"ch1-network": [0.90], "ch3-overfit": [0.854, 0.83], "ch3-overfit-l2": [0.882], "ch6-expanded": [0.98]},
    {"ch1-network": [0.90, 0.95, 0.93], "ch6-conv2": [0.10], "ch6-relu": [0.924]},   # one on its plateau
])
def test_the_plot_keeps_every_label_readable(accuracies):
    """Every experiment's label lies on the figure (a long one was cut off at its left edge), every run
    is drawn, and the legend covers neither a label, the x-axis label nor the other panel."""
    done = {name: {"book": reproduce.EXPERIMENTS[name].book,
                   "runs": [{"seed": k, "epochs": 1, "result": v} for k, v in enumerate(values)]}
            for name, values in accuracies.items()}
    done["ch5-gradients"] = {"runs": [{"seed": 0, "epochs": 0, "result": [
        [0.07, 0.27], [0.01, 0.05, 0.22], [0.002, 0.01, 0.05, 0.25]]}]}
    figure = reproduce.plot_results({"data": "sample", "experiments": done})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    ax = figure.axes[0]
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) == len(accuracies)
    for text in labels:
        box = text.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= figure.bbox.x1, f"the label {text.get_text()!r} is cut off"
    dots = sum(len(line.get_xdata()) for line in ax.get_lines() if line.get_marker() == "o")
    assert dots == sum(len(values) for values in accuracies.values())
    legend = ax.get_legend().get_window_extent(renderer)
    for other in [ax.xaxis.label, *labels, *(t for t in ax.get_xticklabels() if t.get_text())]:
        covered = legend.overlaps(other.get_window_extent(renderer))
        assert not covered, f"the legend covers {other.get_text()!r}"
    assert not legend.overlaps(figure.axes[1].get_window_extent(renderer))
    assert 0 <= legend.y0 and legend.y1 <= figure.bbox.y1 and 0 <= legend.x0   # and it is on the figure


@pytest.mark.parametrize("page,brief", [("docs/reproduce.md", False), ("README.md", True)])
def test_the_published_tables_are_the_ones_reproduce_prints_from_the_committed_results(page, brief):
    """The measured tables are generated by `reproduce --table [brief]` from docs/results, never typed."""
    from pathlib import Path

    from nbhelpers.reproduce.report import markdown_table

    root = Path(__file__).resolve().parents[1]
    text = (root / page).read_text(encoding="utf-8")
    start = (f"<!-- generated by: python -m nbhelpers reproduce --table{' brief' if brief else ''} "
             "--out docs/results (do not edit by hand) -->\n")
    assert text.count(start) == 1, f"{page} has no generated table"
    published = text.split(start, 1)[1].split("\n<!-- end of the generated table -->", 1)[0]
    results = reproduce.load_results(root / "docs" / "results" / reproduce.RESULTS_FILE)
    assert results["data"] == "mnist" and len(results["experiments"]) >= 11
    assert published == markdown_table(results, brief=brief)


#: Which lesson quotes which full-size result beside the book's figure.
QUOTED = {"03-a-network-that-recognises-digits": ["ch1-network"],
          "06-overfitting-and-regularisation": ["ch3-ce30"],
          "09-why-deep-networks-are-hard-to-train": ["ch5-hidden1", "ch5-hidden2", "ch5-hidden3",
                                                     "ch5-hidden4", "ch5-gradients"],
          "10-convolutional-networks": ["ch6-shallow", "ch6-conv1", "ch6-conv2", "ch6-relu",
                                        "ch6-extra-fc"]}


@pytest.mark.parametrize("lesson", QUOTED)
def test_lessons_quote_the_full_size_figures_this_course_measured(lesson):
    """Each lesson that gives the book's figure gives ours too, as the committed results have it, and
    says whether it is one run or a mean of N."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    notebook = json.loads((root / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    text = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    results = reproduce.load_results(root / "docs" / "results" / reproduce.RESULTS_FILE)
    for name in QUOTED[lesson]:
        experiment = reproduce.EXPERIMENTS[name]
        stats = reproduce.statistics(reproduce.runs_of(results["experiments"][name]), experiment.book)
        if isinstance(experiment.book, list):
            assert ", ".join(f"{v:.3f}" for v in stats["mean"][0]) in text, name
            continue
        figure = f"{100 * stats['mean']:.2f}%" + (f" ± {100 * stats['std']:.2f}" if stats["n"] > 1 else "")
        assert figure in text, f"{lesson} does not give {name}'s measured {figure}"
        assert (f"mean of {stats['n']} runs" if stats["n"] > 1 else "one run") in text
