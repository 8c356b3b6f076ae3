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
    assert isinstance(net.engine, Engine)  # a face over the one engine, not a second implementation


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
    assert isinstance(net.engine, Engine)


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


def test_book_update_mini_batch_takes_a_list_of_pairs():
    training_data, _, _ = mnist_loader.load_data_wrapper()
    batch = training_data[:10]
    net, twin = network.Network([784, 10, 10]), network.Network([784, 10, 10])
    net.update_mini_batch(batch, 3.0)                         # the book's chapter-1 form
    X = np.hstack([x for x, _ in batch])
    Y = np.hstack([y for _, y in batch])
    twin.engine.update_mini_batch(X, Y, 3.0)                   # the engine's matrix form
    assert all(np.allclose(a, b, rtol=0, atol=1e-13) for a, b in zip(net.weights, twin.weights))
    net2 = network2.Network([784, 10, 10])
    before = net2.weights[0].copy()
    net2.update_mini_batch(batch, 0.5, 5.0, len(training_data))   # chapter 3: eta, lmbda, n
    assert not np.array_equal(before, net2.weights[0])


def test_faces_accept_one_shot_iterators(capsys):
    training_data, _, test_data = mnist_loader.load_data_wrapper()
    pairs = zip([x for x, _ in training_data[:200]], [y for _, y in training_data[:200]])
    tests = zip([x for x, _ in test_data[:50]], [y for _, y in test_data[:50]])
    network.Network([784, 10, 10]).SGD(pairs, 2, 10, 3.0, test_data=tests)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 1: ") and lines[1].endswith(" / 50")


def test_network2_load_gives_back_a_network2(tmp_path):
    net = network2.Network([784, 10, 10], cost=network2.CrossEntropyCost)
    net.save(tmp_path / "net.json")
    loaded = network2.load(tmp_path / "net.json")
    assert type(loaded) is network2.Network
    training_data, validation_data, _ = mnist_loader.load_data_wrapper()
    result = loaded.SGD(training_data[:100], 1, 10, 0.5, evaluation_data=validation_data[:20],
                        monitor_evaluation_accuracy=True)
    assert len(result) == 4 and len(result[1]) == 1


def test_chapter_6_commands_on_a_small_slice(capsys):
    from nbhelpers import network3
    from nbhelpers.network3 import ConvPoolLayer, FullyConnectedLayer, Network, ReLU, SoftmaxLayer

    training_data, validation_data, test_data = network3.load_data_shared()
    training_data = (training_data[0][:, :400], training_data[1][:400])      # the small slice
    mini_batch_size = 10
    net = Network([
        FullyConnectedLayer(n_in=784, n_out=100),
        SoftmaxLayer(n_in=100, n_out=10)], mini_batch_size)
    first = net.SGD(training_data, 2, mini_batch_size, 0.1, validation_data, test_data)
    assert first.evaluation_accuracy[-1] > 0.2          # learning, after 80 steps on 400 images
    net = Network([
        ConvPoolLayer(image_shape=(mini_batch_size, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                      poolsize=(2, 2), activation_fn=ReLU),
        ConvPoolLayer(image_shape=(mini_batch_size, 20, 12, 12), filter_shape=(40, 20, 5, 5),
                      poolsize=(2, 2), activation_fn=ReLU),
        FullyConnectedLayer(n_in=40*4*4, n_out=100, activation_fn=ReLU, p_dropout=0.5),
        SoftmaxLayer(n_in=100, n_out=10, p_dropout=0.5)], mini_batch_size)
    history = net.SGD(training_data, 2, mini_batch_size, 0.03, validation_data, test_data, lmbda=0.1)
    out = capsys.readouterr().out
    assert out.count("Training mini-batch number 0") == 2
    assert "Epoch 1: validation accuracy" in out and out.count("Finished training network.") == 2
    assert "Corresponding test accuracy of" in out
    assert len(history) == 2 and all(np.isfinite(w).all() for w in net.weights)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Conv2D", "MaxPool2D", "Activation", "Conv2D", "MaxPool2D", "Activation",
                     "Flatten", "Dropout", "Dense", "Dropout", "Dense"]
    assert isinstance(net, Engine)


def test_network3_matches_the_books_initialisation_and_refuses_pickles():
    from nbhelpers import network3

    net = network3.Network([network3.FullyConnectedLayer(784, 100), network3.SoftmaxLayer(100, 10)], 10)
    assert abs(net.weights[0].std() - np.sqrt(1 / 100)) < 0.002    # N(0, 1/n_out)
    assert abs(net.biases[0].std() - 1) < 0.2
    assert not net.weights[1].any() and not net.biases[1].any()     # the softmax layer starts at 0
    import pytest

    with pytest.raises(ValueError, match="pickled data files are not read"):
        network3.load_data_shared("../data/mnist.pkl.gz")
    with pytest.raises(ValueError, match="layers must be a list ending in a SoftmaxLayer"):
        network3.Network([network3.FullyConnectedLayer(784, 10)], 10)


def test_loader_lists_remember_their_matrices_until_changed():
    from nbhelpers.engine.examples import PairList, as_matrices

    training_data, _, test_data = mnist_loader.load_data_wrapper()
    assert isinstance(training_data, PairList) and training_data.matrices is not None
    X, Y, labels = as_matrices(training_data, 784, 10, np.float64)
    assert np.shares_memory(X, training_data[0][0])           # no copy: the loader's own matrix
    part = training_data[100:200:2]
    assert isinstance(part, PairList) and part.matrices[0].shape == (784, 50)
    assert np.array_equal(as_matrices(part, 784, 10, np.float64)[0][:, 3], training_data[106][0][:, 0])
    import random

    random.Random(0).shuffle(training_data)                    # the book's own shuffle
    assert training_data.matrices is None
    X2, _, labels2 = as_matrices(training_data, 784, 10, np.float64)
    assert np.array_equal(X2[:, 0], training_data[0][0][:, 0]) and not np.shares_memory(X2, X)
    test_data.append(test_data[0])
    assert test_data.matrices is None and len(as_matrices(test_data, 784, 10, np.float64)[2]) == 501


def test_network3_keeps_what_the_book_prints_at_the_end(capsys):
    from nbhelpers import network3

    training_data, validation_data, test_data = network3.load_data_shared()
    net = network3.Network([network3.FullyConnectedLayer(784, 30), network3.SoftmaxLayer(30, 10)], 10)
    history = net.SGD((training_data[0][:, :300], training_data[1][:300]), 3, 10, 0.5, validation_data,
                      test_data)
    out = capsys.readouterr().out
    assert net.best_validation_accuracy == max(history.evaluation_accuracy)
    assert f"Best validation accuracy of {net.best_validation_accuracy:.2%}" in out
    assert f"Corresponding test accuracy of {net.best_test_accuracy:.2%}" in out


def test_the_faces_offer_the_books_api_and_hand_the_rest_to_the_engine():
    book1 = {"sizes", "num_layers", "weights", "biases", "feedforward", "backprop", "SGD",
             "update_mini_batch", "evaluate", "cost_derivative"}
    book2 = {"sizes", "num_layers", "weights", "biases", "cost", "feedforward", "backprop", "SGD",
             "update_mini_batch", "accuracy", "total_cost", "save", "default_weight_initializer",
             "large_weight_initializer", "history"}
    net, net2 = network.Network([784, 10, 10]), network2.Network([784, 10, 10])
    assert {name for name in dir(net) if not name.startswith("_")} == book1 | {"engine"}
    assert {name for name in dir(net2) if not name.startswith("_")} == book2 | {"engine"}
    _, validation_data, _ = mnist_loader.load_data_wrapper()
    assert net2.accuracy(validation_data) == round(net2.engine.accuracy(validation_data) * 500)
    assert "Dense(n_in=784" in net2.summary()            # not the book's: handed to the engine
    net2.weights[0][:] = 0.0                              # the book's arrays are the engine's
    assert not net2.engine.weights[0].any()


def test_the_faces_turn_each_data_set_into_matrices_once(monkeypatch):
    from nbhelpers.engine import examples

    calls = []
    real = examples._from_pairs
    monkeypatch.setattr(examples, "_from_pairs", lambda data, name: calls.append(name) or real(data, name))
    training_data, validation_data, _ = mnist_loader.load_data_wrapper()
    pairs, held_out = list(training_data[:100]), list(validation_data[:50])    # plain lists
    network2.Network([784, 10, 10]).SGD(pairs, 1, 10, 0.5, evaluation_data=held_out,
                                        monitor_evaluation_accuracy=True)
    network.Network([784, 10, 10]).SGD(pairs, 1, 10, 3.0, test_data=held_out)
    assert calls == ["training_data", "evaluation_data", "training_data", "test_data"]
