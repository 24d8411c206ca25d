"""WSGI entry point: ``gunicorn --bind 0.0.0.0:8000 shortlinks.wsgi:app``."""

from shortlinks.app import create_app

app = create_app()
