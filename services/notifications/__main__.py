"""``python -m services.notifications``: settings → create_app → run."""

from services.notifications.app import SERVICE, create_app
from shared.serve import serve

if __name__ == "__main__":
    serve(SERVICE, create_app)
