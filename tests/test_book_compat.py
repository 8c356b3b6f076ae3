"""The book's chapter-1 and chapter-3 commands run unchanged but for the import line."""

import re

import numpy as np

from nbhelpers import mnist_loader, network, network2
from nbhelpers.engine import Network as Engine


def test_chapter_1_commands(capsys):
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 30
    counts = [int(m.group(1)) for m in (re.fullmatch(r"Epoch (\d+): (\d+) / 500", l) for l in lines) if m]
    assert counts == list(range(30))
    final = int(lines[-1].split(": ")[1].split(" / ")[0])
    assert final > 0.85 * 500  # the sample is 4,000 images, so a little below the book's 95%
    assert isinstance(net, Engine)  # a face over the one engine, not a second implementation


def test_chapter_1_without_test_data_says_complete(capsys):
    training_data, _, _ = mnist_loader.load_data_wrapper()
    network.Network([784, 10, 10]).SGD(training_data[:100], 2, 10, 3.0)
    assert capsys.readouterr().out.splitlines() == ["Epoch 0 complete", "Epoch 1 complete"]


def test_chapter_3_commands(capsys):
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    result = net.SGD(training_data, 30, 10, 0.5, evaluation_data=test_data, lmbda=5.0,
                     monitor_evaluation_accuracy=True)
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = result
    assert evaluation_cost == [] and training_cost == [] and training_accuracy == []
    assert len(evaluation_accuracy) == 30 and all(isinstance(c, int) for c in evaluation_accuracy)
    assert max(evaluation_accuracy) > 0.88 * 500
    out = capsys.readouterr().out
    assert out.count("training complete") == 30
    assert f"Accuracy on evaluation data: {evaluation_accuracy[-1]} / 500" in out
    assert isinstance(net, Engine)


def test_chapter_3_monitors_and_save_load(tmp_path):
    training_data, validation_data, _ = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 20, 10], cost=network2.QuadraticCost)
    ec, ea, tc, ta = net.SGD(training_data[:500], 2, 10, 3.0, evaluation_data=validation_data,
                             monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                             monitor_training_cost=True, monitor_training_accuracy=True)
    assert len(ec) == len(ea) == len(tc) == len(ta) == 2
    assert net.accuracy(validation_data) == ea[-1]
    assert net.total_cost(training_data[:500], 0.0) == tc[-1]
    net.save(tmp_path / "net.json")
    loaded = network2.load(tmp_path / "net.json")
    assert all(np.array_equal(a, b) for a, b in zip(loaded.weights, net.weights))


def test_data_lists_can_be_reused():
    training_data, _, _ = mnist_loader.load_data_wrapper()
    first = network.Network([784, 10, 10]).SGD(training_data[:200], 1, 10, 3.0)
    second = network.Network([784, 10, 10]).SGD(training_data[:200], 1, 10, 3.0)
    assert len(first) == len(second) == 1


def test_vectorized_result():
    assert network2.vectorized_result(3).ravel().tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
