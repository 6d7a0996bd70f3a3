"""The timer sweep as a loop: ``prflow sweep --loop`` and the server's background sweeper.

Every ``interval`` the loop asks for the ``sweep`` lease (``engine.lease``) and sweeps only
while it holds it, so any number of loops (server workers, separate processes) make one
sweeper. A failing pass is logged and the loop goes on: a sweeper that stops on the first
fault would leave every timer unfired.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from engine import clock, lease
from engine.cases import timers
from engine.context import Prflow

SWEEP_LEASE = "sweep"
_log = logging.getLogger(__name__)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run(
    ctx: Prflow,
    stop: threading.Event,
    *,
    interval: float = 30.0,
    holder: str | None = None,
    on_sweep: Callable[[timers.SweepResult], None] | None = None,
) -> None:
    """Sweep every ``interval`` seconds while holding the lease, until ``stop`` is set."""
    me = holder or holder_name()
    # Three missed passes before another loop may take over: a slow pass keeps its lease.
    ttl = timedelta(seconds=max(interval * 3, 10.0))
    try:
        while not stop.is_set():
            try:
                if lease.acquire(ctx, SWEEP_LEASE, me, ttl, clock.now()):
                    result = timers.sweep(ctx)
                    if on_sweep is not None:
                        on_sweep(result)
            except Exception:  # keep sweeping after any fault; the next pass retries
                _log.exception("timer sweep pass failed")
            stop.wait(interval)
    finally:
        lease.release(ctx, SWEEP_LEASE, me)
