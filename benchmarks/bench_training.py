"""Training speed and memory: the engine against the book's per-example loop and against PyTorch.

    python benchmarks/bench_training.py            (or: make bench)

All cases use the bundled 4,000-image training sample (``--images N``: its first N) and mini-batches
of 10; each time is the best of a few runs, and the contenders of a case are measured side by side
in the same run.

1. [784, 30, 10], quadratic cost, eta 3.0 (chapter 1): one epoch.
2. [784, 100, 10], cross-entropy with L2 (lmbda 5), eta 0.5 (chapter 3): one epoch.
3. The book's chapter-1 command, ``net.SGD(training_data, 1, 10, 3.0, test_data=test_data)`` on the
   book's lists of (x, y) pairs, for one epoch, everything included (network set-up, data, the 500
   test images evaluated as the book's code does). Twice for the engine: with the lists
   ``mnist_loader`` gives (which remember the matrix their columns come from) and with plain
   Python lists of the same pairs, which must be stacked into a matrix first.
4. The book's first convolutional network (20 5x5 filters, 2x2 max-pooling, 100 sigmoid neurons,
   softmax over 10) for one epoch, float32, one thread for both the engine and PyTorch, each run in
   a fresh process so that its peak memory can be read too.

Contenders: the engine (``nbhelpers``) in float64 and float32; a plain per-example loop written the
way the book's chapter-1 code is (one backprop call per example, gradients summed in Python lists);
and PyTorch on the CPU when it is installed. This is a script that reports figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

from nbhelpers import Network, mnist_loader, network
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

    def book_command(self, training_data, eta, test_data, rng):
        """One epoch of the book's SGD(training_data, 1, 10, eta, test_data=test_data)."""
        self.epoch(training_data, 10, eta, 0.0, rng)
        return self.evaluate(test_data)

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)

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


def best_time(run, repeats, clock=time.perf_counter):
    """The shortest of ``repeats`` calls of ``run``, by ``clock``: wall-clock time by default,
    ``time.process_time`` for the CPU time of this process (less inflated on a busy machine)."""
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
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


def report(rows):
    base = rows[0][1]
    for label, rate in rows:
        if rate is None:
            print(f"  {label:<50} not installed")
        else:
            print(f"  {label:<50} {rate:>10,.0f} /s   {rate / base:5.1f}x")
    print()


def fully_connected(args, data):
    X, y = (part[..., :args.images] for part in data.train)
    n = X.shape[1]
    pairs = [(X[:, [i]], np.eye(10)[:, [y[i]]]) for i in range(n)]
    cases = [
        ("[784, 30, 10], mini-batch 10, quadratic", [784, 30, 10], "quadratic", 3.0, 0.0),
        ("[784, 100, 10], mini-batch 10, cross-entropy + L2", [784, 100, 10], "cross_entropy", 0.5, 5.0),
    ]
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
            rows.append((f"nbhelpers engine, {np.dtype(dtype).name}", n / best_time(one_epoch, args.repeats)))
        for threads in (None, 1):
            torch_case = torch_runner(sizes, X, y, cost == "cross_entropy", lmbda, eta, 10, threads)
            if torch_case is None:
                rows.append(("PyTorch CPU", None))
                break
            run, label = torch_case
            rows.append((label, n / best_time(run, args.repeats)))
        report(rows)


def book_command(args):
    print("The book's chapter-1 command, one epoch, lists of (x, y) pairs, test data evaluated")
    training_data, _, test_data = mnist_loader.load_data_wrapper()
    training_data = training_data[:args.images]
    n = len(training_data)
    reference = PerExampleNetwork([784, 30, 10])
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=1, user_api="blas"):
        loop = best_time(partial(reference.book_command, training_data, 3.0, test_data, rng), args.repeats)

    def engine(training, test):
        net = network.Network([784, 30, 10])
        net.SGD(training, 1, 10, 3.0, test_data=test)

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):   # the book's "Epoch 0: ..." line
        loader = best_time(partial(engine, training_data, test_data), args.repeats)
        plain = best_time(partial(engine, list(training_data), list(test_data)), args.repeats)
    report([("per-example loop (the book's code)", n / loop),
            ("network.Network, mnist_loader's lists", n / loader),
            ("network.Network, plain lists (stacked first)", n / plain)])


CONV_WORKER = r"""
import json, sys, time
import numpy as np
kind, repeats, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from nbhelpers.data import load_mnist
X, y = (part[..., :images] for part in load_mnist(dtype=np.float32).train)
X = np.asfortranarray(X)
n = X.shape[1]
if kind == "engine":
    from nbhelpers import Network
    from nbhelpers.layers import Activation, Conv2D, Dense, Flatten, MaxPool2D
    net = Network([Conv2D(1, 20, 5, "linear"), MaxPool2D(2), Activation("sigmoid"), Flatten(),
                   Dense(20 * 12 * 12, 100), Dense(100, 10, "softmax")], cost="log_likelihood",
                  input_shape=(1, 28, 28), dtype=np.float32)
    def run():
        net.SGD((X, y), 1, 10, 0.1, progress=False, verbose=False, monitor_training_cost=False,
                monitor_training_accuracy=False)
    label = "nbhelpers engine, float32"
else:
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 20, 5), torch.nn.MaxPool2d(2), torch.nn.Sigmoid(),
                                torch.nn.Flatten(), torch.nn.Linear(2880, 100), torch.nn.Sigmoid(),
                                torch.nn.Linear(100, 10))
    inputs = torch.from_numpy(np.ascontiguousarray(X.T).reshape(n, 1, 28, 28))
    targets = torch.from_numpy(y)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    def run():
        order = torch.randperm(n)
        for k in range(0, n, 10):
            batch = order[k:k + 10]
            loss = torch.nn.functional.cross_entropy(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    label = f"PyTorch {torch.__version__} CPU (1 thread)"
times = []
for _ in range(repeats):
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
# the peak resident memory of this process (VmHWM; ru_maxrss would include the parent's, on Linux)
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
traced = None
if kind == "engine":   # numpy reports its allocations to tracemalloc: the epoch's own memory
    import tracemalloc
    tracemalloc.start()
    run()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
print(json.dumps({"label": label, "seconds": min(times), "rss_mb": rss, "traced_mb": traced}))
"""


def conv(args):
    print("The book's first conv net [conv 20x5x5, max-pool 2x2, 100 sigmoid, softmax 10], one epoch, "
          "float32, 1 thread")
    results = []
    for kind in ("engine", "torch"):
        done = subprocess.run([sys.executable, "-c", CONV_WORKER, kind, str(args.repeats), str(args.images)],
                              capture_output=True, text=True,
                              env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                                       MKL_NUM_THREADS="1"))
        if done.returncode != 0:
            if "No module named 'torch'" in done.stderr:
                print(f"  {'PyTorch CPU':<50} not installed")
                continue
            raise RuntimeError(done.stderr)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for result in results:
        ratio = f"  {result['seconds'] / results[-1]['seconds']:4.2f}x PyTorch's time" \
            if len(results) == 2 else ""
        traced = f", {result['traced_mb']:.0f} MB allocated during an epoch" \
            if result["traced_mb"] is not None else ""
        print(f"  {result['label']:<42} {result['seconds']:5.2f} s/epoch{ratio}; peak memory of the "
              f"process {result['rss_mb']:.0f} MB{traced}")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per contender (best is kept)")
    parser.add_argument("--only", choices=("fc", "book", "conv"), help="run one group of cases")
    parser.add_argument("--images", type=int, default=4000,
                        help="train on the first N of the sample's 4,000 images (default: all)")
    args = parser.parse_args(argv)
    if not 10 <= args.images <= 4000:
        parser.error(f"argument --images: must be from 10 to 4000; got {args.images}")
    data = load_mnist()
    print(f"One epoch over {args.images} training images (best of {args.repeats})\n")
    if args.only in (None, "fc"):
        fully_connected(args, data)
    if args.only in (None, "book"):
        book_command(args)
    if args.only in (None, "conv"):
        conv(args)


if __name__ == "__main__":
    main()
