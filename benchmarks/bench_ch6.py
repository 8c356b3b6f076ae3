"""Chapter 6 at full size: one epoch of each of the book's networks, the engine against PyTorch CPU.

    python benchmarks/bench_ch6.py                    (part of: make bench)
    python benchmarks/bench_ch6.py --mnist-dir DIR    (where the four MNIST files are)
    python benchmarks/bench_ch6.py --clock cpu        (CPU time instead of wall-clock time)

Each of the book's chapter-6 networks (``reproduce``'s ch6 experiments) is trained for one epoch of
50,000 images, in mini-batches of 10, in float32 (the book's Theano code used float32), by
``nbhelpers.network3`` and by the same network written in PyTorch, one after the other in this
process, with one and then two threads. Both do the same work: the forward and backward passes and
the SGD step of every mini-batch, the same layers (convolution, max-pooling before the activation,
dropout where the book has it, a softmax output with the log-likelihood cost), the same learning
rate and L2 term; no monitoring. Times are wall-clock seconds per epoch (with ``--clock cpu``, this
process's CPU time); with ``--repeats`` > 1 the best is kept. The network of ``ch6-expanded`` is
``relu``'s: its epochs of 250,000 expanded images take five times as long.

Full MNIST is read from ``--mnist-dir``, ``NBHELPERS_MNIST_DIR`` or the download cache; without it
the bundled 4,000 training images are repeated to make 50,000 (the time of an epoch hardly depends
on which digits it sees). The engine's training loop runs BLAS on one thread whatever the setting
(see ``nbhelpers.engine.training``); the two-thread rows tell what a second thread buys PyTorch. Timings
taken while other programs use the cores are inflated, PyTorch's with two threads most of all.

This is a script that reports figures, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import best_time  # noqa: E402  (the timing rule both benchmarks share)

#: The networks of chapter 6: (name, activation, conv layers, fully connected sizes, dropout, eta, lmbda)
NETWORKS = [
    ("shallow", "sigmoid", 0, [100], 0.0, 0.1, 0.0),
    ("conv1", "sigmoid", 1, [100], 0.0, 0.1, 0.0),
    ("conv2", "sigmoid", 2, [100], 0.0, 0.1, 0.0),
    ("relu", "relu", 2, [100], 0.0, 0.03, 0.1),
    ("extra-fc", "relu", 2, [100, 100], 0.0, 0.03, 0.1),
    ("extra-fc300", "relu", 2, [300, 300], 0.0, 0.03, 0.1),
    ("dropout", "relu", 2, [1000, 1000], 0.5, 0.03, 0.0),
]
MINI_BATCH = 10


def training_images(mnist_dir, n):
    """``(X (784, n) float32, y (n,), what)``: full MNIST if it can be found, else the sample tiled."""
    from nbhelpers.data import load_mnist

    try:
        data = load_mnist("mnist", folder=mnist_dir, dtype=np.float32, download=False, progress=False)
        what = "full MNIST"
    except (FileNotFoundError, ValueError):
        data = load_mnist("sample", dtype=np.float32)
        what = "the bundled 4,000 training digits, repeated"
    X, y = data.train
    reps = -(-n // X.shape[1])
    X, y = np.tile(X, reps)[:, :n], np.tile(y, reps)[:n]
    return np.asfortranarray(X), y, what


def book_layers(activation, convs, sizes, p_dropout):
    from nbhelpers.network3 import ConvPoolLayer, FullyConnectedLayer, ReLU, SoftmaxLayer, sigmoid

    fn = ReLU if activation == "relu" else sigmoid
    layers = []
    if convs >= 1:
        layers.append(ConvPoolLayer(image_shape=(MINI_BATCH, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                                    poolsize=(2, 2), activation_fn=fn))
    if convs == 2:
        layers.append(ConvPoolLayer(image_shape=(MINI_BATCH, 20, 12, 12), filter_shape=(40, 20, 5, 5),
                                    poolsize=(2, 2), activation_fn=fn))
    n_in = {0: 784, 1: 20 * 12 * 12, 2: 40 * 4 * 4}[convs]
    for size in sizes:
        layers.append(FullyConnectedLayer(n_in=n_in, n_out=size, activation_fn=fn, p_dropout=p_dropout))
        n_in = size
    layers.append(SoftmaxLayer(n_in=n_in, n_out=10, p_dropout=p_dropout))
    return layers


def engine_epoch(X, y, activation, convs, sizes, p_dropout, eta, lmbda):
    """A function training network3's network for one epoch (training only, like PyTorch's)."""
    from nbhelpers import engine, network3

    net = network3.Network(book_layers(activation, convs, sizes, p_dropout), MINI_BATCH, seed=0)

    def run():
        engine.Network.SGD(net, (X, y), 1, MINI_BATCH, eta, lmbda=lmbda * MINI_BATCH, progress=False,
                           verbose=False, monitor_training_cost=False, monitor_training_accuracy=False)

    return run


def torch_epoch(X, y, activation, convs, sizes, p_dropout, eta, lmbda):
    """The same network and work in PyTorch (None when PyTorch is not installed)."""
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn
    torch.manual_seed(0)
    act = nn.ReLU if activation == "relu" else nn.Sigmoid
    modules, n_in = [], 784
    if convs >= 1:
        modules += [nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), act()]
        n_in = 20 * 12 * 12
    if convs == 2:
        modules += [nn.Conv2d(20, 40, 5), nn.MaxPool2d(2), act()]
        n_in = 40 * 4 * 4
    modules.append(nn.Flatten())
    dropout = [nn.Dropout(p_dropout)] if p_dropout else []
    for size in sizes:
        modules += dropout + [nn.Linear(n_in, size), act()]
        n_in = size
    model = nn.Sequential(*modules, *dropout, nn.Linear(n_in, 10))   # softmax: in cross_entropy
    n = X.shape[1]
    inputs = torch.from_numpy(np.ascontiguousarray(X.T).reshape(n, 1, 28, 28) if convs
                              else np.ascontiguousarray(X.T))
    targets = torch.from_numpy(y)
    # the book's L2 term, 0.5 lmbda sum(w^2) / (number of mini-batches), as a weight decay
    optimizer = torch.optim.SGD(model.parameters(), lr=eta, weight_decay=lmbda * MINI_BATCH / n)
    generator = torch.Generator().manual_seed(0)

    def run():
        model.train()
        order = torch.randperm(n, generator=generator)
        for k in range(0, n, MINI_BATCH):
            batch = order[k:k + MINI_BATCH]
            loss = nn.functional.cross_entropy(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def measure(X, y, networks, threads_list, repeats, out=print, clock=time.perf_counter):
    """Time each network for each thread count by ``clock``; print a row per network; returns the
    figures."""
    rows = []
    for name, *settings in NETWORKS:
        if name not in networks:
            continue
        for warm_up in (engine_epoch, torch_epoch):    # first calls set things up: not timed
            run = warm_up(X[:, :100], y[:100], *settings)
            if run is not None:
                run()
        engine_run = engine_epoch(X, y, *settings)
        torch_run = torch_epoch(X, y, *settings)
        figures = {"network": name}
        for threads in threads_list:
            with threadpool_limits(limits=threads):
                if torch_run is not None:
                    import torch

                    torch.set_num_threads(threads)
                figures[f"engine {threads}"] = best_time(engine_run, repeats, clock)
                figures[f"torch {threads}"] = best_time(torch_run, repeats, clock) if torch_run else None
        rows.append(figures)
        cells = []
        for threads in threads_list:
            ours, theirs = figures[f"engine {threads}"], figures[f"torch {threads}"]
            ratio = f" ({ours / theirs:4.2f}x)" if theirs else ""
            cells.append(f"{ours:7.1f} s {'-' if theirs is None else f'{theirs:7.1f} s'}{ratio}")
        out(f"  {name:<12} " + "   ".join(cells))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist-dir", default=None, help="folder of the four MNIST files")
    parser.add_argument("--images", type=int, default=50_000, help="images per epoch (default 50,000)")
    parser.add_argument("--repeats", type=int, default=1, help="epochs per contender (best is kept)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="default: 1 2")
    parser.add_argument("--networks", nargs="+", default=[n[0] for n in NETWORKS],
                        choices=[n[0] for n in NETWORKS], metavar="NAME")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time (default) or this process's CPU time, which a busy "
                             "machine inflates less")
    args = parser.parse_args(argv)
    X, y, what = training_images(args.mnist_dir, args.images)
    try:
        import torch
        version = f"PyTorch {torch.__version__}"
    except ImportError:
        version = "PyTorch (not installed)"
    print(f"Chapter 6: one epoch of {args.images:,} images ({what}), mini-batch {MINI_BATCH}, float32; "
          f"{'CPU' if args.clock == 'cpu' else 'wall-clock'} seconds per epoch, nbhelpers.network3 then "
          f"{version} CPU (our time as a multiple of theirs)")
    print(f"  {'network':<12} " + "   ".join(f"{f'{t} thread' + ('s' if t > 1 else ''):^27}"
                                            for t in args.threads))
    measure(X, y, args.networks, args.threads, args.repeats,
            clock=time.process_time if args.clock == "cpu" else time.perf_counter)


if __name__ == "__main__":
    main()
