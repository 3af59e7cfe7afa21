"""`python -m portal`: the development server with Socket.IO (used by `make run`)."""
import os

from werkzeug.serving import WSGIRequestHandler

from portal import create_app
from portal.extensions import socketio

app = create_app()


class NoDelayHandler(WSGIRequestHandler):
    """Send small Socket.IO frames at once: with Nagle's algorithm, a frame written while the
    previous one is unacknowledged waits for the peer's delayed ACK (up to 40 ms on Linux).
    gunicorn sets TCP_NODELAY on its sockets too."""

    disable_nagle_algorithm = True

if __name__ == "__main__":
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=app.config["PORT"],
                 allow_unsafe_werkzeug=True, use_reloader=False,
                 request_handler=NoDelayHandler)
