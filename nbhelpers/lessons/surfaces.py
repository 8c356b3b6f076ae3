r"""Two-dimensional test surfaces for watching optimisers move, looked up by name in ``SURFACES``.

Each surface is a cost $f(w)$ of two parameters $w = (w_1, w_2)$ with its gradient written out by
hand, a starting point, its minimum, and a window to draw it in:

- ``bowl``: $f = \tfrac12(w_1^2 + 100\,w_2^2)$, an elongated quadratic bowl: the curvature is 100
  times larger across the valley than along it.
- ``rosenbrock``: $f = (1 - w_1)^2 + 100\,(w_2 - w_1^2)^2$, a long curved valley whose floor
  falls gently to the minimum at $(1, 1)$.
- ``saddle``: $f = w_1^2 + \tfrac14 w_2^4 - \tfrac12 w_2^2$, a saddle point at the origin between
  two minima at $(0, \pm 1)$; the start lies almost exactly on the ridge between them.

``f`` and ``grad`` take ``w`` of shape (2,) or, for ``f``, two stacked grids (2, ...) so a whole
contour grid is evaluated at once. ``draw(surface, ax)`` draws its contours.

Used by: notebook 11 (beyond plain SGD).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..names import lookup


@dataclass(frozen=True)
class Surface:
    """A cost of two parameters; see the module docstring.

    Attributes:
        name: its key in ``SURFACES``.
        formula: the cost in LaTeX, for titles and text.
        f, grad: the cost and its gradient, functions of w (2,) -> float and (2,) -> (2,).
        start: where the optimisers start.
        minimum: the (a) minimum the optimisers should reach, and ``f_min`` its cost.
        xlim, ylim: the window ``draw`` shows.
    """

    name: str
    formula: str
    f: object
    grad: object
    start: tuple
    minimum: tuple
    f_min: float
    xlim: tuple
    ylim: tuple

    def __repr__(self):
        return f"<surface {self.name}: f = {self.formula}>"


def _bowl(w):
    return 0.5 * (w[0] ** 2 + 100.0 * w[1] ** 2)


def _bowl_grad(w):
    return np.array([w[0], 100.0 * w[1]])


def _rosenbrock(w):
    return (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2


def _rosenbrock_grad(w):
    valley = w[1] - w[0] ** 2
    return np.array([-2.0 * (1.0 - w[0]) - 400.0 * w[0] * valley, 200.0 * valley])


def _saddle(w):
    return w[0] ** 2 + 0.25 * w[1] ** 4 - 0.5 * w[1] ** 2


def _saddle_grad(w):
    return np.array([2.0 * w[0], w[1] ** 3 - w[1]])


SURFACES = {
    "bowl": Surface("bowl", r"\frac12(w_1^2 + 100\,w_2^2)", _bowl, _bowl_grad,
                    start=(-4.0, 1.0), minimum=(0.0, 0.0), f_min=0.0,
                    xlim=(-4.5, 1.5), ylim=(-1.3, 1.3)),
    "rosenbrock": Surface("rosenbrock", r"(1 - w_1)^2 + 100\,(w_2 - w_1^2)^2", _rosenbrock,
                          _rosenbrock_grad, start=(-1.2, 1.0), minimum=(1.0, 1.0), f_min=0.0,
                          xlim=(-1.7, 1.7), ylim=(-0.6, 2.0)),
    "saddle": Surface("saddle", r"w_1^2 + \frac14 w_2^4 - \frac12 w_2^2", _saddle, _saddle_grad,
                      start=(-1.5, 1e-4), minimum=(0.0, 1.0), f_min=-0.25,
                      xlim=(-1.8, 1.8), ylim=(-1.6, 1.6)),
}


def get_surface(surface):
    """A surface from its name in ``SURFACES`` (or a ``Surface`` itself)."""
    if isinstance(surface, Surface):
        return surface
    return lookup(SURFACES, surface, "surface", extra=" or a Surface")


def draw(surface, ax, levels=14, resolution=200):
    """Draw the contours of ``surface`` (a name or a Surface) on the matplotlib axes ``ax``.

    The contour levels are spaced evenly in log(f - f_min), so the flat floor of a valley is drawn
    as finely as its steep walls; the minimum is marked with a star. Returns ``ax``.
    """
    s = get_surface(surface)
    g1, g2 = np.meshgrid(np.linspace(*s.xlim, resolution), np.linspace(*s.ylim, resolution))
    height = s.f(np.array([g1, g2])) - s.f_min
    positive = height[height > 0]
    ax.contour(g1, g2, height, levels=np.geomspace(positive.min() * 10, positive.max(), levels),
               cmap="Greys", linewidths=0.7)
    if s.name == "saddle":
        ax.plot(0.0, 0.0, "kx", ms=8)
        ax.plot(0.0, -1.0, "k*", ms=11)
    ax.plot(*s.minimum, "k*", ms=11)
    ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="$w_1$", ylabel="$w_2$")
    return ax
