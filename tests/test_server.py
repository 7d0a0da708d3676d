"""send_pressure.server: the app's connections send each message at once (TCP_NODELAY), not after a delayed ACK;
a page run's messages reach the event loop in order, one wake-up per batch.

Fast: binds a socket on 127.0.0.1 (a free port the system picks) and connects to it; event loops of its own; no app
is started.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import types

import pytest
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.runtime import Runtime
from streamlit.web.server.starlette import starlette_server

from send_pressure import server


def test_streamlit_listens_with_nodelay_and_its_connections_inherit_it(monkeypatch):
    monkeypatch.setattr(starlette_server, "_bind_socket", server._with_nodelay(starlette_server._bind_socket))
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        listener.setblocking(True)
        with socket.create_connection(listener.getsockname(), timeout=5):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()


def test_without_the_wrapper_streamlit_leaves_nagle_on(monkeypatch):
    """Why the wrapper exists: Streamlit's own socket (protocol 0) does not get TCP_NODELAY from asyncio."""
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    try:
        assert not listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert listener.proto == 0
    finally:
        listener.close()


def test_every_change_is_in_with_the_pinned_streamlit(monkeypatch):
    # An upgrade that renames what install() replaces fails here, not silently (the app would run, slower).
    # (Each set to itself so that what install() puts in is undone after the test.)
    monkeypatch.setattr(starlette_server, "_bind_socket", starlette_server._bind_socket)
    monkeypatch.setattr(AppSession, "_call_soon_on_event_loop", AppSession._call_soon_on_event_loop)
    monkeypatch.setattr(Runtime, "_enqueued_some_message", Runtime._enqueued_some_message)
    assert server.install() == []
    assert AppSession._call_soon_on_event_loop is server._call_soon_on_event_loop
    assert Runtime._enqueued_some_message is server._enqueued_some_message


def test_handoff_runs_callbacks_in_order_with_one_wakeup_per_batch():
    loop = asyncio.new_event_loop()
    wakeups = []
    real = loop.call_soon_threadsafe
    loop.call_soon_threadsafe = lambda cb, *a: (wakeups.append(cb), real(cb, *a))[1]
    handoff = server.Handoff(loop)
    ran = []

    def from_thread():  # a page run's script thread: 200 elements
        for i in range(200):
            handoff.call_soon(lambda i=i: ran.append(i))

    try:
        worker = threading.Thread(target=from_thread)
        worker.start()
        worker.join()
        loop.run_until_complete(asyncio.sleep(0.01))
        assert ran == list(range(200))
        assert len(wakeups) == 1  # the loop was not running: one batch
        # A callback given by a callback runs on the next turn, after the rest of its batch.
        handoff.call_soon(lambda: (ran.append("a"), handoff.call_soon(lambda: ran.append("c"))))
        handoff.call_soon(lambda: ran.append("b"))
        loop.run_until_complete(asyncio.sleep(0.01))
        assert ran[200:] == ["a", "b", "c"]
    finally:
        loop.close()


def test_handoff_reports_a_failing_callback_and_runs_the_rest():
    loop = asyncio.new_event_loop()
    errors = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context["exception"]))
    handoff = server.Handoff(loop)
    ran = []
    try:
        handoff.call_soon(lambda: 1 / 0)
        handoff.call_soon(lambda: ran.append("after"))
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
    assert ran == ["after"]
    assert [type(e) for e in errors] == [ZeroDivisionError]


def test_handoff_to_a_closed_loop_raises_and_keeps_nothing():
    loop = asyncio.new_event_loop()
    loop.close()
    handoff = server.Handoff(loop)
    with pytest.raises(RuntimeError):
        handoff.call_soon(lambda: None)
    with pytest.raises(RuntimeError):  # not taken as 'already scheduled'
        handoff.call_soon(lambda: None)


def test_a_session_on_a_closed_loop_drops_the_callback_as_streamlit_does():
    loop = asyncio.new_event_loop()
    loop.close()
    session = types.SimpleNamespace(_event_loop=loop)
    server._call_soon_on_event_loop(session, lambda: None)  # no error: dropped at shutdown


def test_flush_requests_from_the_loop_set_the_event_directly_and_from_a_thread_through_the_loop():
    loop = asyncio.new_event_loop()
    objs = types.SimpleNamespace(eventloop=loop, need_send_data=asyncio.Event())
    runtime = types.SimpleNamespace(_get_async_objs=lambda: objs)
    wakeups = []
    real = loop.call_soon_threadsafe
    loop.call_soon_threadsafe = lambda cb, *a: (wakeups.append(cb), real(cb, *a))[1]

    async def on_loop():
        server._enqueued_some_message(runtime)
        return objs.need_send_data.is_set()

    try:
        assert loop.run_until_complete(on_loop())
        assert wakeups == []
        objs.need_send_data.clear()
        worker = threading.Thread(target=server._enqueued_some_message, args=(runtime,))
        worker.start()
        worker.join()
        assert len(wakeups) == 1
        loop.run_until_complete(asyncio.sleep(0.01))
        assert objs.need_send_data.is_set()
    finally:
        loop.close()
