"""The course's Jupyter server setting: after a notebook is saved, git looks at it afresh.

``make env`` installs this file into the course's environment (``.venv/etc/jupyter/``), so it
applies to the JupyterLab of that environment only; nothing in the user's own ``~/.jupyter`` is
read or changed.

Why. The course's notebooks pass through nbstripout as git reads them (``.gitattributes``): a
lesson the learner ran holds outputs on disk, yet git sees it as unchanged. But git first compares
sizes, and a file whose size differs from the one git last recorded is "modified" without a look
at its content. So after JupyterLab saves a lesson with its outputs, ``git status`` lists it and
``git pull`` refuses to update it ("your local changes would be overwritten"), although ``git
diff`` shows nothing. After each save of a notebook that git tracks through that filter, this hook
tells git to compare the file by content next time (it re-enters the notebook's entry in git's
index with the same content and a blank file size; nothing is staged, nothing else changes). A
lesson whose cells the learner did edit still shows as modified, as it should.

Writing git's index can take a while (git then checks the files it last saw change in that same
second, through nbstripout), so that step runs in a thread of its own and JupyterLab never waits.
"""

import os
import subprocess
import threading
import warnings


def _git(folder, *args, timeout=600):
    try:
        done = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def look_again_after_save(model, os_path, contents_manager, **kwargs):
    """Jupyter's post-save hook: make git compare a saved notebook by its content. Returns the
    thread that tells git (None when there is nothing to tell)."""
    if model.get("type") != "notebook":
        return
    folder, name = os.path.split(os_path)
    try:
        entry = _git(folder, "ls-files", "--stage", "--full-name", "--", name, timeout=20)
        attribute = _git(folder, "check-attr", "filter", "--", name, timeout=20)
        if not entry or len(entry.splitlines()) != 1 or not attribute:
            return                                  # not tracked (or in a merge): leave git alone
        if not attribute.strip().endswith(": nbstripout"):
            return
        info, path = entry.rstrip("\n").split("\t", 1)    # the path from the top of the clone
        mode, blob, stage = info.split()
        if stage == "0":
            thread = threading.Thread(target=_git, args=(folder, "update-index", "--cacheinfo",
                                                         f"{mode},{blob},{path}"), daemon=True)
            thread.start()
            return thread
    except ValueError as error:                       # git's answer was not as expected
        contents_manager.log.debug("the course's post-save hook left git alone: %s", error)


c = get_config()  # noqa: F821 (Jupyter's config files are run with get_config defined)
c.ContentsManager.post_save_hook = look_again_after_save
# JupyterLab applies the server's configuration twice; the second time is not a new hook
warnings.filterwarnings("ignore", message=r"Overriding existing post_save_hook \(look_again_after_save\)")
