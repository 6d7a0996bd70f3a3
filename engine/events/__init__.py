"""The event log as written: one typed, documented event per fact, chained and keyed.

``types`` declares one dataclass per event type (used to write and to read back),
``chain`` stages a command's events and appends them at commit into per-case hash chains,
and ``keys`` holds the HMAC keyring that makes a database writer unable to forge a link.
Reading the log back as evidence (verify, replay, timeline, export) is ``engine.audit``.
"""
