"""An assignment's data: which images train, which validate, drawn with the course's seed.

``course_split`` pools a data set's training and validation images, shuffles the pool with
``split_seed`` and takes ``n_train`` training and ``n_validation`` validation images from it; the
test images are left as they are. Each course sets its own ``split_seed`` (the assignment's first
cell holds it), so the numbers one course gets are not another's, and the grader, which calls the
same function with the same seed, trains on exactly the images the student did.

Used by: the Fashion-MNIST assignments in ``assignments/`` and the grader.
"""

from __future__ import annotations

import numpy as np

from .. import validate

__all__ = ["course_split"]


def course_split(data, split_seed, n_train=2000, n_validation=500):
    """``(training, validation, test)`` pairs ``(X, labels)`` for an assignment (see the module).

    ``data`` is what ``load_mnist`` returns; ``n_train=None`` takes every image of the pool not
    used for validation.
    """
    split_seed = validate.whole(split_seed, "split_seed", minimum=0)
    n_validation = validate.whole(n_validation, "n_validation", minimum=1)
    X = np.concatenate([data.train[0], data.validation[0]], axis=1)
    labels = np.concatenate([data.train[1], data.validation[1]])
    available = X.shape[1] - n_validation
    n_train = available if n_train is None else validate.whole(n_train, "n_train", minimum=1,
                                                               maximum=available)
    order = np.random.default_rng(split_seed).permutation(X.shape[1])
    train, valid = np.sort(order[:n_train]), np.sort(order[n_train:n_train + n_validation])
    return (X[:, train], labels[train]), (X[:, valid], labels[valid]), data.test
