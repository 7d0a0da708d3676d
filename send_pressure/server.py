"""Start the dashboard's Streamlit server with two changes to how it hands messages on.

    python -m send_pressure.server dashboard.py [Streamlit options ...]

does what ``streamlit run dashboard.py [options ...]`` does, except that (1) every connection the server accepts
sends each message at once (``TCP_NODELAY``) and (2) a page run hands its elements to the event loop in batches,
not one wake-up of the loop per element. ``scripts/run.sh``, ``scripts/serve.sh`` and the container's entrypoint
start the app this way.

(1) Why: Streamlit (1.67) binds its listening socket itself, as ``socket.socket(family)`` with protocol number 0,
and asyncio turns ``TCP_NODELAY`` on only for sockets whose protocol says TCP, so the accepted connections keep
Nagle's algorithm. A page run sends many small messages (one per element); with Nagle, once the first is on its
way the next ones wait for the reader's acknowledgement, which Linux delays by up to 40 ms (delayed ACK, on the
browser's or nginx's side) when page runs follow each other within about half a second: a reader changing two
options in a row, an expander that reruns the page. A test page of 20 elements took 44-60 ms a run back to back
instead of 7-16 ms; after a pause of half a second or more both took 7-22 ms (docs/operations.md, "Serving").
The option set on the listening socket is inherited by every connection accepted from it.

(2) Why: a page run's script thread makes each element's message and hands it to the session's event loop (the
process's main thread) with ``call_soon_threadsafe``, which writes to the loop's wake-up socket; the loop then adds
the message to the session's queue and asks the runtime's send loop for a flush with a second
``call_soon_threadsafe``. So an element costs two wake-up writes, and the script thread and the main thread pass
the interpreter lock back and forth per element: under load, where each pass may wait for a core, that was the
largest single cost of a page run outside the page's own code (about a tenth of a process's samples with 13
sessions on one process, a quarter of the 50-session load; docs/operations.md "Serving"). :class:`Handoff` keeps a
session's callbacks in one list, in order, and wakes the loop once per batch; the runtime's flush request, when
made on the loop itself, sets its event directly. Messages reach the browser in the same order as before, and no
later than the loop's next turn.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Callable


def _with_nodelay(bind):
    """Wrap Streamlit's socket binding so that the listening socket (and so every connection it accepts) has
    ``TCP_NODELAY``. Unix sockets (``server.address = "unix://..."``) have no Nagle and are left as they are."""

    def bind_socket(*args, **kwargs) -> socket.socket:
        sock = bind(*args, **kwargs)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    return bind_socket


class Handoff:
    """Callbacks given from any thread, run on one event loop in the order given, waking the loop once per batch.

    ``call_soon(cb)`` is ``loop.call_soon_threadsafe(cb)`` except that while a batch is waiting for the loop, a
    new callback joins it instead of writing to the loop's wake-up socket again. A batch runs the callbacks that
    were in it when it started; ones given meanwhile (e.g. by a callback) form the next batch, on the loop's next
    turn, so other sessions' work is not held up. An exception in a callback goes to the loop's exception
    handler, as the loop does for its own callbacks, and the rest still run. Raises RuntimeError (and keeps
    nothing) when the loop is closed, as ``call_soon_threadsafe`` does.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: list[Callable[[], object]] = []
        self._scheduled = False

    def call_soon(self, callback: Callable[[], object]) -> None:
        with self._lock:
            self._pending.append(callback)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._run)
        except RuntimeError:
            with self._lock:
                self._pending.clear()
                self._scheduled = False
            raise

    def _run(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        for callback in batch:
            try:
                callback()
            except Exception as e:  # noqa: BLE001  (reported as the loop reports a failed callback)
                self._loop.call_exception_handler({"message": f"Exception in callback {callback!r}", "exception": e})
        with self._lock:
            if not self._pending:
                self._scheduled = False
                return
        self._loop.call_soon(self._run)


_HANDOFF = "_send_pressure_handoff"


def _call_soon_on_event_loop(self, callback: Callable[[], None]) -> None:
    """``AppSession._call_soon_on_event_loop`` through the session's :class:`Handoff`; like Streamlit's, drops the
    callback when the loop is already closed (process shutdown)."""
    handoff = self.__dict__.get(_HANDOFF) or self.__dict__.setdefault(_HANDOFF, Handoff(self._event_loop))
    try:
        handoff.call_soon(callback)
    except RuntimeError:
        if not self._event_loop.is_closed():
            raise


def _enqueued_some_message(self) -> None:
    """``Runtime._enqueued_some_message``: ask the send loop for a flush. On the loop's own thread (where every
    message of a page run is queued, see :class:`Handoff`) the event is set at once instead of through a
    wake-up write; from another thread, as Streamlit does it."""
    objs = self._get_async_objs()
    if asyncio._get_running_loop() is objs.eventloop:
        objs.need_send_data.set()
    else:
        objs.eventloop.call_soon_threadsafe(objs.need_send_data.set)


def install() -> list[str]:
    """Make Streamlit's server bind its listening socket with ``TCP_NODELAY`` and hand messages on in batches.

    Returns what could not be changed because this Streamlit lacks the function replaced (empty when all is in);
    the server then runs as before, only slower. tests/test_server.py fails then, so an upgrade is noticed."""
    from streamlit.runtime import app_session, runtime
    from streamlit.web.server.starlette import starlette_server

    missing = []
    bind = getattr(starlette_server, "_bind_socket", None)
    if bind is None:
        missing.append("TCP_NODELAY (starlette_server._bind_socket)")
    else:
        starlette_server._bind_socket = _with_nodelay(bind)
    if not hasattr(app_session.AppSession, "_call_soon_on_event_loop"):
        missing.append("batched hand-offs (AppSession._call_soon_on_event_loop)")
    else:
        app_session.AppSession._call_soon_on_event_loop = _call_soon_on_event_loop
    if not hasattr(runtime.Runtime, "_enqueued_some_message"):
        missing.append("direct flush requests (Runtime._enqueued_some_message)")
    else:
        runtime.Runtime._enqueued_some_message = _enqueued_some_message
    return missing


def main(argv: list[str]) -> None:
    """``streamlit run`` with :func:`install` applied first; ``argv``: the script and Streamlit's options."""
    for what in install():
        print(f"send_pressure.server: this Streamlit has no place for {what}; it runs without it", file=sys.stderr)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *argv]
    streamlit_main()


if __name__ == "__main__":
    main(sys.argv[1:])
