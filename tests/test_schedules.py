"""Learning-rate schedules added for lesson 11: exponential decay and cosine annealing."""

import math

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.schedules import CosineAnnealing, ExponentialDecay, make_schedule


def test_exponential_decay_multiplies_by_the_factor_each_epoch():
    schedule = ExponentialDecay(0.5, factor=0.8)
    assert [schedule.eta(e, None) for e in range(4)] == pytest.approx([0.5, 0.4, 0.32, 0.256])
    assert not schedule.should_stop(None)
    assert isinstance(make_schedule("exponential", 0.3), ExponentialDecay)
    assert make_schedule("Exponential", 0.3).eta(2, None) == pytest.approx(0.3 * 0.81)


def test_cosine_annealing_falls_from_eta_to_eta_min_along_half_a_cosine():
    schedule = CosineAnnealing(1.0, epochs=10, eta_min=0.1)
    etas = [schedule.eta(e, None) for e in range(13)]
    assert etas[0] == pytest.approx(1.0) and etas[5] == pytest.approx(0.55)
    assert etas[10] == pytest.approx(0.1) and etas[12] == pytest.approx(0.1)   # stays at the end
    assert np.all(np.diff(etas[:11]) < 0)
    assert etas[2] == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * 0.2)))


def test_training_uses_the_scheduled_rates():
    rng = np.random.default_rng(0)
    X, y = rng.random((4, 40)), rng.integers(0, 2, 40)
    net = Network([4, 3, 2], cost="cross_entropy")
    history = net.SGD((X, y), 4, 10, 0.5, schedule=CosineAnnealing(0.5, 4), progress=False,
                      verbose=False)
    assert history.eta == pytest.approx([0.5 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])
    history = net.SGD((X, y), 3, 10, 0.5, schedule="exponential", optimizer="momentum",
                      progress=False, verbose=False)
    assert history.eta == pytest.approx([0.5, 0.45, 0.405])
    # by name, cosine annealing spans the run it is given to
    history = net.SGD((X, y), 4, 10, 0.5, schedule="Cosine", progress=False, verbose=False)
    assert history.eta == pytest.approx([0.5 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])


@pytest.mark.parametrize("build,message", [
    (lambda: ExponentialDecay(0.5, factor=1.0), "factor must be a finite number > 0 and < 1"),
    (lambda: ExponentialDecay(0.0), "eta must be"),
    (lambda: CosineAnnealing(0.5, epochs=0), "epochs must be a whole number >= 1"),
    (lambda: CosineAnnealing(0.5, epochs=2.5), "epochs must be a whole number"),
    (lambda: CosineAnnealing(0.5, epochs=10, eta_min=0.5), "eta_min must be a finite number >= 0 and < 0.5"),
    (lambda: make_schedule("cosine_decay", 0.5), "schedule must be one of"),
    (lambda: make_schedule(42, 0.5), "schedule must be one of .* or an object with methods"),
])
def test_bad_settings_name_the_parameter(build, message):
    with pytest.raises(ValueError, match=message):
        build()
