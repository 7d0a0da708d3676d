"""Start the dashboard's Streamlit server with Nagle's algorithm off on its connections.

    python -m send_pressure.server dashboard.py [Streamlit options ...]

does what ``streamlit run dashboard.py [options ...]`` does, except that every connection the server accepts
sends each message at once (``TCP_NODELAY``). ``scripts/run.sh``, ``scripts/serve.sh`` and the container's
entrypoint start the app this way.

Why: Streamlit (1.67) binds its listening socket itself, as ``socket.socket(family)`` with protocol number 0,
and asyncio turns ``TCP_NODELAY`` on only for sockets whose protocol says TCP, so the accepted connections keep
Nagle's algorithm. A page run sends many small messages (one per element); with Nagle, once the first is on its
way the next ones wait for the reader's acknowledgement, which Linux delays by up to 40 ms (delayed ACK, on the
browser's or nginx's side) when page runs follow each other within about half a second: a reader changing two
options in a row, an expander that reruns the page. A test page of 20 elements took 44-60 ms a run back to back
instead of 7-16 ms; after a pause of half a second or more both took 7-22 ms (docs/operations.md, "Serving").
The option set on the listening socket is inherited by every connection accepted from it.
"""

from __future__ import annotations

import socket
import sys


def _with_nodelay(bind):
    """Wrap Streamlit's socket binding so that the listening socket (and so every connection it accepts) has
    ``TCP_NODELAY``. Unix sockets (``server.address = "unix://..."``) have no Nagle and are left as they are."""

    def bind_socket(*args, **kwargs) -> socket.socket:
        sock = bind(*args, **kwargs)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    return bind_socket


def install() -> bool:
    """Make Streamlit's server bind its listening socket with ``TCP_NODELAY``. Returns False (and the server
    runs as before, only slower) when this Streamlit has no ``_bind_socket`` to wrap; tests/test_serve_args.py
    fails then, so an upgrade that moves it is noticed."""
    from streamlit.web.server.starlette import starlette_server

    bind = getattr(starlette_server, "_bind_socket", None)
    if bind is None:
        return False
    starlette_server._bind_socket = _with_nodelay(bind)
    return True


def main(argv: list[str]) -> None:
    """``streamlit run`` with :func:`install` applied first; ``argv``: the script and Streamlit's options."""
    if not install():
        print("send_pressure.server: this Streamlit binds its socket differently; Nagle stays on", file=sys.stderr)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *argv]
    streamlit_main()


if __name__ == "__main__":
    main(sys.argv[1:])
