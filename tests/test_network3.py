"""network3 checks what the book's Theano graph would only find out while training, in the terms of the
user's own list of layers; and it computes in float32 by default, as the book's code did."""

import numpy as np
import pytest

from nbhelpers import network3
from nbhelpers.network3 import ConvPoolLayer, FullyConnectedLayer, Network, ReLU, SoftmaxLayer


def conv(image_shape, filters=(20, 1, 5, 5)):
    return ConvPoolLayer(image_shape=image_shape, filter_shape=filters, poolsize=(2, 2), activation_fn=ReLU)


@pytest.fixture(scope="module")
def data():
    training, validation, test = network3.load_data_shared()
    return (training[0][:, :40], training[1][:40]), validation, test


def test_float32_by_default_like_the_books_theano_code(data):
    net = Network([FullyConnectedLayer(n_in=784, n_out=30), SoftmaxLayer(n_in=30, n_out=10)], 10)
    assert net.dtype == np.float32 and all(w.dtype == np.float32 for w in net.weights)
    assert data[0][0].dtype == np.float32          # load_data_shared gives floatX = float32 too
    assert Network([FullyConnectedLayer(n_in=784, n_out=30), SoftmaxLayer(n_in=30, n_out=10)], 10,
                   dtype=np.float64).weights[0].dtype == np.float64


def test_a_later_conv_layer_must_declare_the_maps_it_is_given():
    layers = [conv((10, 1, 28, 28)), conv((10, 20, 10, 10), (40, 20, 5, 5)),     # really 12x12
              FullyConnectedLayer(n_in=40 * 4 * 4, n_out=100), SoftmaxLayer(n_in=100, n_out=10)]
    with pytest.raises(ValueError, match=r"layers\[1\].image_shape must be \(mini-batch, 20, 12, 12\) "
                                         r"to match layers\[0\], which gives 20 feature maps of 12x12, "
                                         r"got \(10, 20, 10, 10\)"):
        Network(layers, 10)


def test_messages_name_the_users_layers_not_the_engines():
    layers = [conv((10, 1, 28, 28)), FullyConnectedLayer(n_in=640, n_out=100),
              SoftmaxLayer(n_in=100, n_out=10)]
    with pytest.raises(ValueError) as info:
        Network(layers, 10)
    message = str(info.value)
    # the engine's list has Conv2D, MaxPool2D, Activation, Flatten before the Dense: layers[4]
    assert message.startswith("layers[1].n_in must be 2880: layers[0] gives 20 feature maps of 12x12")
    assert "got 640" in message and "layers[4]" not in message and "Dense" not in message


@pytest.mark.parametrize("image_batch,network_batch,sgd_batch,message", [
    (20, 10, 10, r"layers\[0\].image_shape must be \(10, 1, 28, 28\): its first entry is the mini-batch "
                  r"size, 10 as given to Network, got \(20, 1, 28, 28\)"),
    (10, 10, 20, r"mini_batch_size must be 10, the size this network was built for "
                 r"\(Network\(layers, 10\)\), got 20"),
])
def test_the_three_mini_batch_sizes_must_agree(data, image_batch, network_batch, sgd_batch, message):
    training, validation, test = data
    with pytest.raises(ValueError, match=message):
        net = Network([conv((image_batch, 1, 28, 28)), FullyConnectedLayer(n_in=2880, n_out=10),
                       SoftmaxLayer(n_in=10, n_out=10)], network_batch)
        net.SGD(training, 1, sgd_batch, 0.1, validation, test)


def test_the_same_layer_object_cannot_appear_twice():
    hidden = FullyConnectedLayer(n_in=30, n_out=30)
    with pytest.raises(ValueError, match=r"layers\[2\] must be a layer of its own: it is the same "
                                         r"FullyConnectedLayer object as layers\[1\]"):
        Network([FullyConnectedLayer(n_in=784, n_out=30), hidden, hidden,
                 SoftmaxLayer(n_in=30, n_out=10)], 10)


def test_sgd_names_its_own_arguments(data):
    training, validation, test = data
    net = Network([FullyConnectedLayer(n_in=784, n_out=30), SoftmaxLayer(n_in=30, n_out=10)], 10)
    with pytest.raises(ValueError, match=r"lmbda must be a finite number >= 0, got -0.1$"):
        net.SGD(training, 1, 10, 0.1, validation, test, lmbda=-0.1)      # not "-1.0" (= lmbda * 10)
    with pytest.raises(ValueError, match=r"^validation_data") as info:
        net.SGD(training, 1, 10, 0.1, "not data", test)
    assert "evaluation_data" not in str(info.value)
    with pytest.raises(ValueError, match=r"^validation_data"):
        net.SGD(training, 1, 10, 0.1, (validation[0][:100], validation[1][:50]), test)


def test_the_book_layers_show_their_arguments():
    assert repr(conv((10, 1, 28, 28))) == ("ConvPoolLayer(filter_shape=(20, 1, 5, 5), image_shape=(10, 1, "
                                           "28, 28), poolsize=(2, 2), activation_fn=ReLU)")
    assert repr(SoftmaxLayer(n_in=100, n_out=10, p_dropout=0.5)) == \
        "SoftmaxLayer(n_in=100, n_out=10, p_dropout=0.5)"
