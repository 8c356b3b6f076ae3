"""The 2-D test surfaces of lesson 11: hand-written gradients, minima, look-up and drawing."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbhelpers.gradcheck import numerical_gradient  # noqa: E402
from nbhelpers.lessons.surfaces import SURFACES, draw, get_surface  # noqa: E402


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_matches_finite_differences(name):
    surface = SURFACES[name]
    rng = np.random.default_rng(0)
    for _ in range(5):
        w = rng.uniform(-1.5, 1.5, size=2)
        numeric = numerical_gradient(lambda w=w: surface.f(w), w, eps=1e-6)
        assert np.allclose(surface.grad(w), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_the_minimum_is_flat_and_lowest_nearby(name):
    surface = SURFACES[name]
    w = np.array(surface.minimum)
    assert np.allclose(surface.grad(w), 0) and np.isclose(surface.f(w), surface.f_min)
    rng = np.random.default_rng(1)
    assert all(surface.f(w + 0.01 * rng.standard_normal(2)) > surface.f_min for _ in range(20))


def test_the_saddle_is_a_saddle():
    saddle = SURFACES["saddle"]
    assert np.allclose(saddle.grad(np.zeros(2)), 0)
    assert saddle.f(np.array([0.1, 0.0])) > 0 > saddle.f(np.array([0.0, 0.1]))


def test_look_up_by_name_and_drawing():
    assert get_surface("Rosenbrock") is SURFACES["rosenbrock"]
    assert get_surface(SURFACES["bowl"]) is SURFACES["bowl"]
    with pytest.raises(ValueError, match=r"surface must be one of \['bowl', 'rosenbrock', 'saddle'\]"):
        get_surface("himmelblau")
    fig, ax = plt.subplots()
    assert draw("saddle", ax, resolution=40) is ax and ax.get_xlim() == SURFACES["saddle"].xlim
    plt.close(fig)
