"""Who is asking: users and their roles, passwords, browser sessions, API tokens, throttling.

The HTTP adapter signs cookies and reads headers; everything stored or decided about
identity lives here, so the CLI (``prflow tokens``, ``prflow users``) and the server share
one implementation.
"""
