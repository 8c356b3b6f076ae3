"""``make lab`` as the README tells a newcomer to run it, with the browser left closed.

The test runs ``make lab`` from the top of the checkout (so the Makefile's own command line is what
is tested), with the Jupyter folders in a temporary directory, a free port on 127.0.0.1 and a token
it knows. It fetches JupyterLab's page and a lesson through the server's contents API, starts a
kernel through the REST API and runs a cell in it over the kernel's websocket (the way JupyterLab
does), then shuts the server down through ``/api/shutdown`` and checks that no process is left.
"""

import json
import secrets
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import websocket  # websocket-client, installed with jupyter_server
from jupyter_harness import free_port, isolated_env, lab_options, leftovers, start

REPO = Path(__file__).resolve().parents[1]
LESSON = "00-start-here.ipynb"
CODE = "import sys\nimport nbhelpers\nprint(6 * 7, sys.prefix)"


def _message(session, msg_type, content):
    return {"header": {"msg_id": uuid.uuid4().hex, "username": "test", "session": session,
                       "msg_type": msg_type, "version": "5.3",
                       "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}


def _execute(server, kernel_id, code, timeout=60):
    """Run ``code`` in the kernel over its websocket; return (reply content, printed text)."""
    url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    session = uuid.uuid4().hex
    ws = websocket.create_connection(f"{url}?session_id={session}", timeout=timeout,
                                     header=[f"Authorization: token {server.token}"])
    try:
        request = _message(session, "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        ws.send(json.dumps(request))
        msg_id, printed, reply, idle = request["header"]["msg_id"], [], None, False
        deadline = time.monotonic() + timeout
        while not (reply and idle):
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to the cell within {timeout} s")
            message = json.loads(ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "execute_reply":
                reply = content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return reply, "".join(printed)
    finally:
        ws.close()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_serves_the_lessons_and_runs_a_cell(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    env = isolated_env(tmp_path)
    env.pop("MAKELEVEL", None)  # as typed in a terminal, even when `make test` runs this
    args = " ".join(lab_options(port, token))
    began = time.monotonic()
    server = start(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], tmp_path, port,
                   token, env, cwd=REPO)
    try:
        status, page = server.get("/lab")
        assert status == 200 and "<title>JupyterLab</title>" in page

        lesson = server.api(f"/api/contents/{LESSON}?content=1")
        assert lesson["type"] == "notebook" and lesson["name"] == LESSON
        assert any(cell["cell_type"] == "code" for cell in lesson["content"]["cells"])

        kernel = server.api("/api/kernels", method="POST", body={"name": "python3"})
        reply, printed = _execute(server, kernel["id"], CODE)
        assert reply["status"] == "ok", reply
        answer, prefix = printed.split()
        assert answer == "42"
        # the kernel is the checkout's own venv, where nbhelpers is installed
        assert Path(prefix).resolve() == (REPO / ".venv").resolve()

        server.api("/api/shutdown", method="POST")
        code = server.process.wait(timeout=30)
        assert code == 0, f"make lab ended with {code}:\n{server.log_tail()}"
        deadline = time.monotonic() + 10
        while (left := leftovers(tmp_path, server.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], f"still running after /api/shutdown: {left}"
    finally:
        killed = server.stop()
    assert killed == []
    seconds = time.monotonic() - began
    print(f"make lab: served, ran a cell and shut down in {seconds:.1f} s")
    assert seconds < 60
