"""The server-rendered web pages: one router module per page family, Jinja2 templates in
``templates/``, CSS and scripts in ``static/`` (no inline script: the CSP forbids it)."""
