"""`python -m portal`: the development server with Socket.IO (used by `make run`)."""
import os

from portal import create_app
from portal.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=app.config["PORT"],
                 allow_unsafe_werkzeug=True, use_reloader=False)
