"""nbgrader's settings for the graded assignments: run every ``nbgrader`` command from this folder,
with the instructor's environment (``make classroom``: ``../.venv-classroom``) first on the PATH.

The course directory is this folder, wherever the repository is cloned:

    source/<name>/<name>.ipynb    the solution notebooks, the one thing kept in git
    release/<name>/               student versions, made by `nbgrader generate_assignment`
    submitted/<student>/<name>/   what `nbgrader collect` gathered from the exchange
    autograded/, feedback/        what `nbgrader autograde` and `nbgrader generate_feedback` write
    gradebook.db                  the grades (SQLite)
    course-secret.txt             the course secret the numbers of the assignments follow from
                                  (made by the first `nbgrader generate_assignment`; keep it)
    nndl_grading/                 the grader (sandbox, verdicts, course numbers), in git

Everything but source/ and nndl_grading/ is made by nbgrader or the grader and ignored by git. The
exchange, the folder through which students fetch assignments and hand them in, is
``$NBGRADER_EXCHANGE`` if set (on a shared server: a folder every student can write to), otherwise
``nbgrader-exchange`` in the system's temporary folder. The course id is ``$NBGRADER_COURSE`` or
"neural-networks".

docs/instructors.md walks through release, collection, grading and feedback, and says what the
sandbox does and does not protect.
"""

import os
import sys
import tempfile

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from nndl_grading import configure  # noqa: E402 - after the path is set

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE", "neural-networks")
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(tempfile.gettempdir(),
                                                                       "nbgrader-exchange")

# A student's cell gets this long to finish before the grader stops it and marks it wrong (a
# submission that never finishes must not hold up the class). The longest cell of a correct
# solution takes a few seconds on two cores.
c.ExecutePreprocessor.timeout = 60

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The course's kernel client (coursebook/kernel.py): a cell's reply is never left unread, where
# nbclient's own could wait a cell's whole time limit for a reply that had arrived. (It reads the
# replies in the grader's process; the sandboxed kernels are its SandboxKernelManager's.)
c.AsyncKernelManager.client_class = "coursebook.kernel.KernelClient"

# The sandbox, the verdicts outside the notebook, the course's own numbers, feedback without hidden
# tests and grades for learning-management systems (see nndl_grading/__init__.py).
configure(c, HERE)
