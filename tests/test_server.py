"""send_pressure.server: the app's connections send each message at once (TCP_NODELAY), not after a delayed ACK.

Fast: binds a socket on 127.0.0.1 (a free port the system picks) and connects to it; no app is started.
"""

from __future__ import annotations

import socket

from streamlit.web.server.starlette import starlette_server

from send_pressure import server


def test_streamlit_listens_with_nodelay_and_its_connections_inherit_it(monkeypatch):
    # The pinned Streamlit still binds through _bind_socket: an upgrade that moves it fails here, not silently.
    # (Set to itself so that the wrapper install() puts in is undone after the test.)
    monkeypatch.setattr(starlette_server, "_bind_socket", starlette_server._bind_socket)
    assert server.install()
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
