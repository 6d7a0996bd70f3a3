"""Persistence: tables, connections, transactions, migrations and queries.

Query functions stage changes on a session and never commit: the service owns the
transaction, so a command's case state, task rows and events are written together or not
at all.
"""
