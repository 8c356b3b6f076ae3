"""The grader's verdicts: each hidden test's points decided outside the notebook.

``TrustedVerdicts`` runs in ``nbgrader autograde`` right after the notebook was executed (in the
sandbox), before nbgrader records the grades. For each test cell whose hidden part, as the
gradebook keeps it, calls ``feedback.probe("module/test", seed=N, ...)``:

1. it takes the one output the probe published (``application/vnd.nndl.grader+json``) out of the
   cell; none, or more than one, or one from another test or seed, earns nothing;
2. a probe that reports changed tools (NumPy functions, builtins, the feedback checks, IPython's
   input transformers...) earns nothing, and the report names them;
3. otherwise the results are decoded (``encode.decode``, which trusts nothing) and judged by the
   test's check (``checks``), which computes what they should be itself;
4. the cell's outputs are rewritten: what the notebook printed stays (as plain text; errors of the
   visible checks as one line each, without tracebacks), and the verdict is added, as text when
   the test passes, as an error (which nbgrader scores 0) when it does not.

So the points of such a test depend only on what the student's code returned for the grader's
inputs: an assertion the notebook silenced, a check it replaced or an output it printed cannot
change them. Test cells without a probe (an instructor's own) are graded by nbgrader as usual.

A seed in the gradebook that is not the course secret's stops grading with ``course.CourseError``:
the secret changed since the assignment was generated.

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

import traceback

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from nbhelpers.feedback.encode import decode
from nbhelpers.feedback.probe import MIME
from nbhelpers.feedback.report import Feedback

from . import checks, course
from .text import PROBE_CALL

__all__ = ["TrustedVerdicts"]


def _stream(text):
    return NotebookNode(output_type="stream", name="stdout", text=text)


class TrustedVerdicts(NbGraderPreprocessor):
    """Decide the points of every probed test cell outside the notebook (see the module)."""

    course_dir = Unicode(".", help="The course folder, where course-secret.txt is kept").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self._assignment = info["assignment"]
        self._secret = course.load_secret(self.course_dir)
        self._params = course.parameters(self._assignment, self._secret)
        with Gradebook(info["db_url"]) as gb:
            cells = gb.find_notebook(info["notebook"], info["assignment"]).source_cells
            self._stored = {cell.name: cell.source for cell in cells}
        self._restored = nb.metadata.get("nndl_grading", {})
        self._student = info.get("student", "?")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            return cell, resources
        grade_id = meta.get("grade_id")
        found = PROBE_CALL.search(self._stored.get(grade_id, ""))
        if found is None:
            return cell, resources
        report = self._judge(cell, found.group("test"), int(found.group("seed")))
        for kind, sentence in (("missing", "this test cell was missing from the notebook; the grader put it "
                                           "back"),
                               ("edited", "this test cell had been changed; the grader restored it")):
            if grade_id in self._restored.get(kind, ()):
                report.note(sentence)
        cell.outputs = self._outputs(cell, report)
        if not report.ok:
            self.log.info("%s, %s: %s", self._student, grade_id, report.problems[0])
        return cell, resources

    def _judge(self, cell, test, seed):
        expected = course.seed(self._assignment, test, self._secret)
        if seed != expected:
            raise course.CourseError(
                f"the hidden tests of {self._assignment} in the gradebook were made with another course "
                f"secret than the one in use now: restore that secret, or generate and release the "
                f"assignment again (nbgrader generate_assignment --force)")
        records = [o for o in cell.get("outputs", [])
                   if isinstance(o.get("data"), dict) and MIME in o["data"]]
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        report = Feedback(f"the grader's test {test}")
        if not records:
            why = f"{errors[-1].get('ename')}: {errors[-1].get('evalue')}" if errors else "no results arrived"
            report.problem(f"the test did not run to its end, so the grader got no results ({why})")
            return report
        if len(records) > 1:
            report.problem("the test's results arrived more than once: the notebook interfered with the test")
            return report
        record = records[0]["data"][MIME]
        if not isinstance(record, dict) or record.get("test") != test or record.get("seed") != seed:
            report.problem("these results did not come from this test: the notebook interfered with it")
            return report
        if record.get("tools"):
            tools = ", ".join(str(t) for t in record["tools"][:8])
            report.problem(f"no points: before this test ran, the notebook had changed the tools the "
                           f"grader relies on ({tools})")
            return report
        if record.get("error"):
            report.problem(f"the test stopped in the notebook: {str(record['error'])[:300]}")
            return report
        return self._check(test, seed, record)

    def _check(self, test, seed, record):
        check = checks.find(test)
        if check is None:
            raise course.CourseError(f"the grader has no check for the hidden test {test!r}")
        try:
            results = decode(record.get("results"))
        except ValueError as error:
            report = Feedback(f"the grader's test {test}")
            report.problem(f"the results could not be read ({error}): the notebook interfered with the test")
            return report
        try:
            report = check(results, checks.Context(self._assignment, self._params, seed, self.log))
        except Exception:  # noqa: BLE001 - odd results must cost this test, not the whole hand-in
            self.log.error("The check %s failed on %s's results:\n%s", test, self._student,
                           traceback.format_exc())
            report = Feedback(f"the grader's test {test}")
            report.problem("the grader could not make sense of these results")
        missing = [str(name) for name in record.get("missing") or []]
        if missing and not report.ok:
            report.problems.insert(0, f"not defined in the notebook: {', '.join(missing)}")
        return report

    def _outputs(self, cell, report):
        kept = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if isinstance(output.get("data"), dict) and MIME in output["data"]:
                continue
            if kind == "error":
                kept.append(_stream(f"{output.get('ename')}: {output.get('evalue')}\n"))
            elif kind == "stream":
                kept.append(_stream(output.get("text", "")))
            elif kind == "execute_result":
                kept.append(NotebookNode(output_type="display_data", data=output.get("data", {}),
                                         metadata=output.get("metadata", {})))
            else:
                kept.append(output)
        text = report.text
        if report.ok:
            kept.append(_stream(f"Grader: {text}\n"))
        else:
            kept.append(NotebookNode(output_type="error", ename="Grader", evalue=report.title,
                                     traceback=[f"Grader: {line}" if i == 0 else line
                                                for i, line in enumerate(text.split("\n"))]))
        return kept
