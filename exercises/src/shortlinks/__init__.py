"""shortlinks: a small URL shortener served by gunicorn."""

from shortlinks.app import create_app

__all__ = ["create_app"]
