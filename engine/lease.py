"""Named leases in the database: one holder at a time across processes and machines.

A server started with several workers runs a sweep loop in each; only the worker holding
the ``sweep`` lease sweeps. A holder renews its lease on every pass; if it dies, the lease
expires and another worker takes it over. The lease row is read with ``FOR UPDATE``
(PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers already), so two takers queue
and exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from engine.context import Prflow
from engine.store.db import write_session
from engine.store.tables import Lease


def acquire(ctx: Prflow, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``now + ttl``; False if held."""
    try:
        with write_session(ctx.db) as session:
            row = session.get(Lease, name, with_for_update=True)
            if row is None:
                session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
                return True
            if row.holder != holder and row.expires_at > now:
                return False
            row.holder, row.expires_at = holder, now + ttl
            session.add(row)
            return True
    except IntegrityError:
        return False  # another process inserted the first row at the same moment


def release(ctx: Prflow, name: str, holder: str) -> None:
    with write_session(ctx.db) as session:
        row = session.get(Lease, name, with_for_update=True)
        if row is not None and row.holder == holder:
            session.delete(row)
