"""Training speed: examples per second for one epoch, engine against the book's per-example loop.

    python benchmarks/bench_training.py            (or: make bench)

Two cases on the bundled 4,000-image training sample, each timed as the best of a few runs:

1. [784, 30, 10], mini-batch 10, quadratic cost, eta 3.0 (the book's chapter-1 run);
2. [784, 100, 10], mini-batch 10, cross-entropy cost with L2 (lmbda 5), eta 0.5 (chapter 3).

Contenders: the engine in float64 and float32; a plain per-example loop written the way the book's
chapter-1 code is (one backprop call per example, gradients summed in Python lists); and
PyTorch on the CPU when it is installed. This is a script that reports figures, not a test.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

from nbhelpers import Network
from nbhelpers.data import load_mnist


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


class PerExampleNetwork:
    """The reference: chapter-1 style SGD that backpropagates one (784, 1) column at a time."""

    def __init__(self, sizes, cross_entropy=False, seed=0):
        rng = np.random.default_rng(seed)
        self.sizes = sizes
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [rng.standard_normal((n, m)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
        self.cross_entropy = cross_entropy

    def epoch(self, pairs, mini_batch_size, eta, lmbda, rng):
        order = rng.permutation(len(pairs))
        shuffled = [pairs[i] for i in order]
        n = len(pairs)
        for k in range(0, n, mini_batch_size):
            self.update_mini_batch(shuffled[k:k + mini_batch_size], eta, lmbda, n)

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_b, delta_w = self.backprop(x, y)
            nabla_b = [nb + db for nb, db in zip(nabla_b, delta_b)]
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w)]
        m = len(mini_batch)
        self.weights = [(1 - eta * lmbda / n) * w - (eta / m) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = activations[-1] - y
        if not self.cross_entropy:
            delta = delta * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].T)
        for l in range(2, len(self.sizes)):
            delta = np.dot(self.weights[-l + 1].T, delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w


def best_time(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


_TORCH_DEFAULT_THREADS = None


def torch_runner(sizes, X, y, cross_entropy, lmbda, eta, mini_batch_size, threads=None):
    try:
        import torch
    except ImportError:
        return None
    global _TORCH_DEFAULT_THREADS
    if _TORCH_DEFAULT_THREADS is None:
        _TORCH_DEFAULT_THREADS = torch.get_num_threads()
    torch.set_num_threads(threads or _TORCH_DEFAULT_THREADS)
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=torch.float64), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    inputs = torch.from_numpy(np.ascontiguousarray(X.T))
    targets = torch.nn.functional.one_hot(torch.from_numpy(y), 10).to(torch.float64)
    n = inputs.shape[0]
    # PyTorch's weight_decay adds lmbda' * w to the gradient: lmbda/n matches the book's L2 term
    optimizer = torch.optim.SGD(model.parameters(), lr=eta, weight_decay=lmbda / n)
    generator = torch.Generator().manual_seed(0)

    def run():
        order = torch.randperm(n, generator=generator)
        for k in range(0, n, mini_batch_size):
            batch = order[k:k + mini_batch_size]
            out = model(inputs[batch])
            if cross_entropy:
                loss = torch.nn.functional.binary_cross_entropy(out, targets[batch], reduction="sum")
            else:
                loss = 0.5 * ((out - targets[batch]) ** 2).sum()
            optimizer.zero_grad()
            (loss / len(batch)).backward()
            optimizer.step()

    return run, f"PyTorch {torch.__version__} CPU ({torch.get_num_threads()} threads)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per contender (best is kept)")
    args = parser.parse_args(argv)

    data = load_mnist()
    X, y = data.train
    n = X.shape[1]
    pairs = [(X[:, [i]], np.eye(10)[:, [y[i]]]) for i in range(n)]
    cases = [
        ("[784, 30, 10], mini-batch 10, quadratic", [784, 30, 10], "quadratic", 3.0, 0.0),
        ("[784, 100, 10], mini-batch 10, cross-entropy + L2", [784, 100, 10], "cross_entropy", 0.5, 5.0),
    ]
    print(f"One epoch over {n} training images; examples per second (best of {args.repeats})\n")
    for title, sizes, cost, eta, lmbda in cases:
        print(title)
        rows = []
        reference = PerExampleNetwork(sizes, cross_entropy=cost == "cross_entropy")
        rng = np.random.default_rng(0)
        # the loop gets its fastest setting too: one BLAS thread, as the engine uses for small batches
        with threadpool_limits(limits=1, user_api="blas"):
            seconds = best_time(partial(reference.epoch, pairs, 10, eta, lmbda, rng), args.repeats)
        rows.append(("per-example loop (book, chapter 1 style)", n / seconds))
        for dtype in (np.float64, np.float32):
            net = Network(sizes, cost=cost, dtype=dtype)
            Xd = np.asfortranarray(X, dtype=dtype)
            one_epoch = partial(net.SGD, (Xd, y), 1, 10, eta, lmbda=lmbda, progress=False,
                                verbose=False, monitor_training_cost=False,
                                monitor_training_accuracy=False)
            seconds = best_time(one_epoch, args.repeats)
            rows.append((f"nbhelpers engine, {np.dtype(dtype).name}", n / seconds))
        for threads in (None, 1):
            torch_case = torch_runner(sizes, X, y, cost == "cross_entropy", lmbda, eta, 10, threads)
            if torch_case is None:
                rows.append(("PyTorch CPU", None))
                break
            run, label = torch_case
            rows.append((label, n / best_time(run, args.repeats)))
        base = rows[0][1]
        for label, rate in rows:
            if rate is None:
                print(f"  {label:<48} not installed")
            else:
                print(f"  {label:<48} {rate:>10,.0f} /s   {rate / base:5.1f}x")
        print()


if __name__ == "__main__":
    main()
