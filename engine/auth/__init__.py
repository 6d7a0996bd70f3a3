"""Who is asking: passwords, browser sessions, API tokens and sign-in throttling.

The HTTP adapter signs cookies and reads headers; everything stored or decided about
identity lives here, so the CLI (``prflow tokens``) and the server share one implementation.
"""
