"""``python -m cli``: the same as the ``prflow`` console script."""

from cli.main import app

app()
