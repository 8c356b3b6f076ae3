"""How ``make test`` shares its work between two pytest-xdist workers (``--dist loadfile``).

A unit of work stays on one worker: a notebook (its cells share one kernel) or a test file (its
module fixtures are built once), except the files in ``SPREAD``, whose tests are independent runs
of several seconds each and go to whichever worker is free. The units start longest first, the
usual cure for a worker left alone with a long unit at the end: the ones in ``LONGEST_FIRST``,
in that order, then the rest as collected. Without xdist this file changes nothing.
"""

import pytest

#: Files whose tests are each a unit of their own.
SPREAD = ("tests/test_lessons_catch_broken_backprop.py",)

#: The longest units, longest first (measure with ``pytest --durations=0``; order matters more than
#: completeness: a unit missing here starts after these).
LONGEST_FIRST = (
    "tests/test_assignments.py",   # the first test starts nbgrader's autograding in the background
    "notebooks/10-convolutional-networks.ipynb",
    "browser_tests/test_trainer_in_jupyterlab.py",
    "notebooks/12-from-numpy-to-pytorch.ipynb",
    "notebooks/11-beyond-plain-sgd.ipynb",
    "notebooks/06-overfitting-and-regularisation.ipynb",
    "notebooks/07-initialisation-and-hyperparameters.ipynb",
    "tests/test_benchmark_script.py",
    "notebooks/03-a-network-that-recognises-digits.ipynb",
    "tests/test_site.py",
    "notebooks/08-a-visual-proof-of-universality.ipynb",
    "tests/test_reproduce.py",
    "tests/test_lessons_catch_broken_backprop.py",   # many tests of a few seconds each
    "tests/test_assignments_graded.py",     # waits for the autograding, which is done by then
    "notebooks/13-recurrent-networks.ipynb",
    "browser_tests/test_site_offline.py",
    "browser_tests/test_lesson_saved_in_jupyterlab.py",
    "tests/test_full_size.py",
)


def _file(nodeid):
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In an xdist worker (whose collection the scheduler follows), the longest units first; a
    stable sort keeps each file's and notebook's own order."""
    if hasattr(config, "workerinput"):
        rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_file(item.nodeid), len(rank)))


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    if config.getoption("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False   # keep the order above, not "most tests first"

    class Scheduler(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return nodeid if _file(nodeid) in SPREAD else _file(nodeid)

    return Scheduler(config, log)
