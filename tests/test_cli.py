"""The command line: training, saving, and a clear message for every bad argument."""

import os
import subprocess
import sys

import pytest

from nbhelpers import Network
from nbhelpers.cli import main


def test_train_prints_epochs_and_saves(tmp_path, capsys):
    path = tmp_path / "net.npz"
    status = main(["train", "--sizes", "784", "20", "10", "--epochs", "2", "--cost", "cross-entropy",
                   "--eta", "0.5", "--lmbda", "1", "--seed", "3", "--save", str(path), "--no-progress"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Epoch 0: training cost" in out and "Epoch 1: training cost" in out
    assert "Test accuracy" in out
    accuracy = float(out.split("Test accuracy: ")[1].split("%")[0])
    assert accuracy > 80
    assert Network.load(path).sizes == [784, 20, 10]


@pytest.mark.parametrize("args,message", [
    (["--eta", "0"], "argument --eta: value must be a finite number > 0, got 0.0"),
    (["--eta", "fast"], "argument --eta: expected a number, got 'fast'"),
    (["--epochs", "0"], "argument --epochs: value must be a whole number >= 1, got 0"),
    (["--mini-batch-size", "2.5"], "argument --mini-batch-size: expected a whole number"),
    (["--lmbda", "-1"], "argument --lmbda: value must be a finite number >= 0"),
    (["--cost", "hinge"], "argument --cost: unknown cost 'hinge'; choose from cross-entropy, "
                          "log-likelihood, quadratic"),
    (["--data", "cifar"], "argument --data: unknown data set 'cifar'; choose from fashion, fashion-sample, "
                          "mnist, sample"),
    (["--sizes", "784"], "argument --sizes: give at least two layers"),
    (["--sizes", "100", "10"], "the first size must be 784 and the last 10, got 100 10"),
    (["--dropout", "1"], "argument --dropout: value must be a finite number >= 0 and < 1"),
    (["--save", "net.pkl"], "argument --save: the file name must end in .json or .npz"),
    (["--activation", "swish"], "argument --activation: unknown activation 'swish'"),
    (["--optimizer", "lbfgs"], "argument --optimizer: unknown optimizer 'lbfgs'; choose from adagrad, "
                               "adam, momentum, nesterov, rmsprop, sgd"),
    (["--save", "no/such/folder/net.json"], "argument --save: the folder 'no/such/folder' does not exist"),
    (["--sizes", "784", "2000000000", "10"], "argument --sizes: a network of sizes [784, 2000000000, 10] "
                                             "has"),
])
def test_bad_arguments_are_named(args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--epochs", "1"] + args if args[0] != "--epochs" else ["train"] + args)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["fashion_sample", "fashion-sample"])
def test_train_on_the_bundled_fashion_sample(spelling, monkeypatch, capsys):
    import nbhelpers.data

    asked = []
    real_load = nbhelpers.data.load_mnist

    def spy(source, **kwargs):
        asked.append(source)
        return real_load(source, **kwargs)

    monkeypatch.setattr(nbhelpers.data, "load_mnist", spy)
    status = main(["train", "--data", spelling, "--sizes", "784", "10", "10", "--epochs", "1",
                   "--cost", "cross-entropy", "--eta", "0.5", "--no-progress"])
    out = capsys.readouterr().out
    assert status == 0
    assert asked == ["fashion_sample"]
    expected = nbhelpers.data.load_mnist("fashion_sample")
    assert (f"on fashion_sample: {expected.train[0].shape[1]} training, "
            f"{expected.validation[0].shape[1]} validation, {expected.test[0].shape[1]} test images") in out
    assert "Test accuracy" in out


@pytest.mark.parametrize("where,message", [
    ("/proc/nbhelpers-net.json", "nothing can be written in '/proc'"),        # even root cannot
    ("/sys/nbhelpers-net.json", "nothing can be written in '/sys'"),
    ("{tmp}/no-such-folder/net.json", "the folder '{tmp}/no-such-folder' does not exist"),
    ("{tmp}", "is a folder, not a file name"),
])
def test_save_is_checked_before_training(where, message, tmp_path, capsys, monkeypatch):
    trained = []
    monkeypatch.setattr("nbhelpers.engine.Network.SGD", lambda *a, **k: trained.append(1))
    where = where.format(tmp=tmp_path) + ("/x.json" if where == "{tmp}" else "")
    if where.endswith("/x.json"):
        (tmp_path / "x.json").mkdir()
    with pytest.raises(SystemExit) as stop:
        main(["train", "--epochs", "1", "--save", where])
    assert stop.value.code == 2 and not trained
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_a_read_only_folder_is_refused_before_training(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root): permissions are not enforced")
        with pytest.raises(SystemExit) as stop:
            main(["train", "--epochs", "1", "--save", str(locked / "net.json")])
        assert stop.value.code == 2
        assert "nothing can be written in" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_optimizer_option_trains(tmp_path, capsys):
    status = main(["train", "--sizes", "784", "20", "10", "--epochs", "1", "--cost", "cross-entropy",
                   "--eta", "0.01", "--optimizer", "adam", "--no-progress", "--quiet"])
    assert status == 0
    assert float(capsys.readouterr().out.split("Test accuracy: ")[1].split("%")[0]) > 80


def test_unknown_download_name(capsys):
    with pytest.raises(SystemExit):
        main(["data", "download", "cifar"])
    assert "unknown data set 'cifar'; choose from fashion, mnist" in capsys.readouterr().err


def test_module_runs_as_a_program():
    result = subprocess.run([sys.executable, "-m", "nbhelpers", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "train" in result.stdout and "data" in result.stdout


def test_a_reader_that_stops_early_gets_no_error_message():
    """`python -m nbhelpers reproduce --list | head -1`: the pipe closes early, which is no error."""
    process = subprocess.Popen([sys.executable, "-m", "nbhelpers", "reproduce", "--list"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()                     # before the command writes anything
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "error" not in err and "Broken pipe" not in err and "Exception" not in err, err
