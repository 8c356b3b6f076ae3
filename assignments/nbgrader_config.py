"""nbgrader's settings for the graded assignments: run every ``nbgrader`` command from this folder.

The course directory is this folder, wherever the repository is cloned:

    source/<name>/<name>.ipynb    the solution notebooks, the one thing kept in git
    release/<name>/               student versions, made by `nbgrader generate_assignment`
    submitted/<student>/<name>/   what `nbgrader collect` gathered from the exchange
    autograded/, feedback/        what `nbgrader autograde` and `nbgrader generate_feedback` write
    gradebook.db                  the grades (SQLite)

Everything but source/ is made by nbgrader and ignored by git. The exchange, the folder through which
students fetch assignments and hand them in, is ``$NBGRADER_EXCHANGE`` if set (on a shared server:
a folder every student can write to), otherwise ``nbgrader-exchange`` in the system's temporary
folder. The course id is ``$NBGRADER_COURSE`` or "neural-networks".

The README's section "For instructors" walks through release, collection, grading and feedback.
"""

import os
import tempfile

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE", "neural-networks")
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(tempfile.gettempdir(),
                                                                       "nbgrader-exchange")

# A student's cell gets this long to finish before the grader gives up on it, marks it wrong and
# goes on with the next one (a submission that never finishes must not hold up the class).
# The longest cell of a correct solution takes a few seconds on two cores.
c.ExecutePreprocessor.timeout = 60

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The course's kernel client (coursebook/kernel.py): a cell's reply is never left unread, where
# nbclient's own could wait a cell's whole time limit for a reply that had arrived.
c.AsyncKernelManager.client_class = "coursebook.kernel.KernelClient"
