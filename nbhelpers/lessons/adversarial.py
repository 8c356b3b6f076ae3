r"""Adversarial examples: change an image a little, in the direction that raises the cost most.

Backpropagation gives the gradient of the cost with respect to the weights; one more step down the
chain rule gives it with respect to the *input* pixels, $\partial C_x / \partial x$. A layer's
``backward`` already returns the gradient for the layer below, so the input gradient is what the
first layer hands back: ``Network.input_gradient`` (a training pass skips that last product, since
nobody needs it there).

``adversarial(net, X, labels, epsilon)`` then repeats small steps
$x \to x + \text{step}\cdot\mathrm{sign}(\partial C_x/\partial x)$, keeping every pixel within
``epsilon`` of the original and inside [0, 1], and stops for each image as soon as the network's
answer changes (the "iterative fast gradient sign" method of Kurakin, Goodfellow and Bengio,
2016, a descendant of the box-constrained search of Szegedy et al., 2013).

Used by: notebook 10 (convolutional networks, the section on adversarial examples).
"""

from __future__ import annotations

import numpy as np

from ..validate import number, whole


def input_gradient(net, X, labels):
    """dC_x/dx for every example: an array shaped like ``X`` ((n_in, m), one column per example).

    Column i is the gradient of example i's own cost C_x (not divided by m), for the network as it
    is used (dropout off). ``labels`` are the (m,) true classes, or (n_out, m) targets. The layers'
    ``nabla_*`` arrays are overwritten on the way (harmless: training recomputes them).
    """
    X_in, Y, _ = net.prepare((X, labels), "X, labels")
    return net.input_gradient(X_in, Y)


def adversarial(net, X, labels, epsilon=0.1, step=0.01, max_steps=50):
    """Images within ``epsilon`` of ``X`` (per pixel, in [0, 1]) that ``net`` misclassifies.

    Args:
        net: a trained network; X: (n_in, m) images, pixel values in [0, 1]; labels: (m,) classes.
        epsilon: the largest change allowed to any pixel.
        step: the change per pixel per step (the sign of the input gradient times ``step``).
        max_steps: give up on an image after this many steps.
    Returns:
        ``(X_adv, fooled)``: the changed images (n_in, m) and a boolean (m,) array, True where the
        network's answer is no longer the label. Each image stops changing as soon as it is
        misread, so its change is close to the least this method needs; images the network got
        wrong to begin with are returned unchanged (and count as fooled).
    """
    epsilon = number(epsilon, "epsilon", low=0.0, low_open=True)
    step = number(step, "step", low=0.0, low_open=True)
    max_steps = whole(max_steps, "max_steps", minimum=1)
    X0, Y, labels = net.prepare((X, labels), "X, labels")
    if labels is None:
        raise ValueError("labels must be class labels (m,) or one-hot targets")
    low, high = np.clip(X0 - epsilon, 0.0, 1.0), np.clip(X0 + epsilon, 0.0, 1.0)
    X_adv = X0.copy()
    active = np.arange(X0.shape[1])
    for _ in range(max_steps):
        grad = net.input_gradient(X_adv[:, active], Y[:, active])
        right = np.argmax(net.layers[-1].a, axis=0) == labels[active]   # the output of that pass
        active, grad = active[right], grad[:, right]     # the misread ones are done
        if active.size == 0:
            break
        moved = X_adv[:, active] + step * np.sign(grad)
        X_adv[:, active] = np.clip(moved, low[:, active], high[:, active])
    return X_adv, net.predict(X_adv) != labels
