"""A kernel client that never leaves a reply unread: the one cure for every way the course runs a
notebook through nbclient (``make html``, and nbgrader's autograding through
``assignments/nbgrader_config.py``).

The stall it cures. nbclient waits for a cell's reply on the shell socket (an asyncio ZeroMQ socket)
while, on iopub, it acts as a front end for the Output widgets that ``interact`` and the trainer
panel use: it sends them ``comm_msg`` updates on that same shell socket. jupyter_client's
``Session.send`` sends on a plain (blocking) twin of the asyncio socket. A ZeroMQ socket tells an
event loop "something changed" once, through its file descriptor, and any call on the socket, a
send included, may take that signal and reset the descriptor. When the kernel's reply arrives just
before such a send, the send takes the signal, the event loop never hears of the reply, and the
client waits for the cell's whole timeout with the reply sitting in its socket and the kernel idle.
pyzmq's own asyncio sends look at the socket's events afterwards and pick such a message up; the
blocking twin does not. Only cells whose Output widget nbclient updates meanwhile can stall, and
only when the reply and the update cross: nbclient's issue 312, "a cell with ipywidgets sometimes
blocks". The wait ends at the cell's time limit, when nbclient looks at the socket once more.

The cure: after every send, ask the asyncio socket for its events, as pyzmq does after its own
sends; pyzmq then wakes whoever waits for a message that is already there. nbval and JupyterLab
do not need it: nbval's blocking client waits in ``zmq_poll``, which looks at the socket's events
itself, and Jupyter server sends through ZMQStream, which looks at them after each send.
``tools/prove_no_stall.py`` runs the widget lessons many times every way, and counts the replies
this cure picked up.

``use_in(config)`` makes every nbclient that reads ``config`` use this client.
"""

from __future__ import annotations

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type
from traitlets.config import Config

#: How nbgrader's configuration names this client (``assignments/nbgrader_config.py``).
DOTTED_NAME = "coursebook.kernel.KernelClient"


class Channel(AsyncZMQSocketChannel):
    """A channel whose sends cannot hide a message that arrived meanwhile."""

    def send(self, msg):
        super().send(msg)   # a blocking send, which may take the socket's one "readable" signal
        # An asyncio socket's get(EVENTS) schedules whoever waits for a message that is there.
        self.socket.get(zmq.EVENTS)


class KernelClient(AsyncKernelClient):
    """nbclient's kernel client with ``Channel`` for every channel it sends on."""

    shell_channel_class = Type(Channel)
    control_channel_class = Type(Channel)
    stdin_channel_class = Type(Channel)


def use_in(config=None):
    """``config`` (a new ``Config`` if None) set so that the kernel managers of nbclient and
    nbgrader hand out ``KernelClient``; returns it."""
    config = Config() if config is None else config
    config.AsyncKernelManager.client_class = DOTTED_NAME
    return config
