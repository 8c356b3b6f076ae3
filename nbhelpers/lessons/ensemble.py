"""An ensemble of networks: each one votes for a class, and the class with most votes wins.

Networks trained the same way from different random starting weights make different mistakes;
where most of them agree, the majority is more often right than any one of them. A tie (say two
votes against two among four networks) goes to the class with the larger summed output.

Used by: notebook 10 (convolutional networks) and the ``reproduce`` command (chapter 6's ensemble).
"""

from __future__ import annotations

import numpy as np


def vote(nets, X):
    """The ensemble's answer for each column of ``X`` (n_in, m): an (m,) array of classes.

    ``nets``: a non-empty list of networks with the same outputs (e.g. 10 digit classes).
    """
    nets = list(nets)
    if not nets:
        raise ValueError("nets must be a non-empty list of networks, got an empty list")
    outputs = [net.feedforward(X) for net in nets]
    n_classes, m = outputs[0].shape
    votes = np.zeros((n_classes, m))
    for out in outputs:
        if out.shape != (n_classes, m):
            raise ValueError(f"nets must all give outputs of shape {(n_classes, m)}, got {out.shape}")
        votes[np.argmax(out, axis=0), np.arange(m)] += 1
    # the summed outputs, scaled to less than 1, can only break ties between equal vote counts
    total = sum(outputs)
    votes += total / (np.abs(total).max() + 1.0)
    return np.argmax(votes, axis=0)
