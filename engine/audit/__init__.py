"""The audit trail: reading the event log back as evidence.

One concept per module: ``verify`` (is the hash chain intact?), ``timeline`` (what happened
to one case, and how long each step took), ``replay`` (does the log reproduce the case on its
pinned definition version?), ``export`` (the log as CSV or XES for process mining) and
``retention`` (how long a case must be kept). Everything here reads; only ``retention``
writes, and only events and the purge itself.
"""
