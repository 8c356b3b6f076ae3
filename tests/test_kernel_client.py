"""coursebook.kernel: the kernel client whose sends cannot hide a reply (the "runner stall").

The race is made certain here with two real ZeroMQ sockets on 127.0.0.1, a ROUTER for the kernel
and a DEALER for the client: the client waits for a message; the kernel's reply reaches the
client's socket while the client's event loop is busy; the client then sends on that socket (as
nbclient does when it answers an Output widget) before its loop looks again. A plain blocking send
takes the socket's one "readable" signal and the waiting client sleeps on with the reply sitting
there; ``coursebook.kernel.Channel`` reads it at once.
"""

import asyncio
import os
import select
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import zmq
import zmq.asyncio
from jupyter_client.session import Session
from nbclient import NotebookClient

from coursebook.execute import LessonError, execute_notebook
from coursebook.kernel import DOTTED_NAME, Channel, KernelClient, use_in

WAIT = 1.0   # seconds a stalled wait lasts in these tests; an unstalled one takes milliseconds


async def _reply_arrives_then_client_sends(send):
    """Seconds until a client waiting for a message sees the reply that arrived just before it sent
    with ``send(client)``; ``WAIT`` or more when the reply went unseen."""
    context = zmq.asyncio.Context()
    try:
        kernel = context.socket(zmq.ROUTER)
        port = kernel.bind_to_random_port("tcp://127.0.0.1")
        client = context.socket(zmq.DEALER)
        client.connect(f"tcp://127.0.0.1:{port}")
        await client.send(b"kernel_info_request")
        identity, _ = await kernel.recv_multipart()

        waiting = asyncio.ensure_future(client.poll(timeout=1000 * WAIT))
        await asyncio.sleep(0.05)                        # the client waits for the reply
        zmq.Socket.shadow(kernel.underlying).send_multipart([identity, b"execute_reply"])
        # the client's loop is busy meanwhile (it blocks here): the reply reaches the client's
        # socket, which marks its file descriptor readable
        assert select.select([client.FD], [], [], 5)[0], "the reply never reached the client"
        time.sleep(0.01)   # ZeroMQ looks at a socket's news at most once a millisecond per call
        send(client)
        start = time.monotonic()
        assert await waiting == zmq.POLLIN
        return time.monotonic() - start
    finally:
        context.destroy(linger=0)


def _plain_send(client):
    """What jupyter_client's Session.send does with an asyncio socket: send on a blocking twin."""
    zmq.Socket.shadow(client.underlying).send(b"comm_msg")


def _channel_send(client):
    channel = Channel(client, Session())
    channel.send(channel.session.msg("comm_msg", content={"comm_id": "1", "data": {}}))


def test_a_plain_send_can_hide_a_reply_from_the_waiting_client():
    # the premise: ZeroMQ's signal is taken by the send (documented libzmq behaviour)
    assert asyncio.run(_reply_arrives_then_client_sends(_plain_send)) >= WAIT * 0.9


def test_the_course_channel_reads_a_reply_that_arrived_before_its_send_at_once():
    assert asyncio.run(_reply_arrives_then_client_sends(_channel_send)) < WAIT / 2


def test_nbclient_and_nbgrader_configured_by_use_in_hand_out_the_course_client():
    config = use_in()
    assert config.AsyncKernelManager.client_class == DOTTED_NAME
    manager = NotebookClient(nbformat.v4.new_notebook(), config=config).create_kernel_manager()
    assert manager.client_factory is KernelClient
    assert all(getattr(KernelClient, f"{name}_channel_class").default_value is Channel
               for name in ("shell", "control", "stdin"))


@pytest.mark.slow     # starts the instructor's Python, which imports nbgrader
def test_nbgraders_configuration_hands_out_the_course_client():
    # nbgrader reads the course's assignments/nbgrader_config.py, which names the same client (in
    # the instructor's environment, .venv-classroom: the configuration sets up nbgrader there)
    root = Path(__file__).resolve().parent.parent
    python = Path(os.environ.get("CLASSROOM_VENV", root / ".venv-classroom")) / "bin" / "python"
    if not python.exists():
        pytest.skip("no instructor's environment (make classroom) to read nbgrader_config.py with")
    read = ("from traitlets.config.loader import PyFileConfigLoader as L; "
            "print(L('nbgrader_config.py', path='.').load_config().AsyncKernelManager.client_class)")
    out = subprocess.run([str(python), "-c", read], cwd=root / "assignments", capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert out.stdout.strip().splitlines()[-1:] == [DOTTED_NAME], out.stderr[-2000:]


@pytest.mark.slow
def test_a_cell_that_hangs_still_fails_at_its_timeout_naming_the_lesson_and_cell(tmp_path):
    path = tmp_path / "hangs.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\nwhile True:\n    time.sleep(0.1)")]), path)
    start = time.monotonic()
    with pytest.raises(LessonError) as caught:
        execute_notebook(path, timeout=2)
    assert time.monotonic() - start < 60   # the kernel starts in seconds; no other wait
    message = str(caught.value)
    assert message.startswith("hangs.ipynb, cell 1: the cell was still running after 2 s")
