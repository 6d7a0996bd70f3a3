"""Rendering of forms and documents: Jinja2 filters (BE dates, Thai digits), form widgets,
the printable documents (completed forms, memos, the P9 permission form) and PDF output.
Imports the engine, never the reverse; the form definitions and validation are the
engine's (``engine.forms.definitions``, ``engine.forms.values``)."""
