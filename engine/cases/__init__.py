"""Running cases: the use cases staff call and everything they read and write.

``service`` holds the use cases (start, claim, unclaim, complete, reassign, suspend,
resume, cancel) and owns their transactions; ``runtime`` keeps every SpiffWorkflow
internal behind one seam; ``stepping`` mirrors a stepped workflow into task rows, timers
and events; ``status`` and ``permissions`` say what may happen to a task or case now;
``views``, ``overdue`` and ``kpi`` are the read models, built by indexed SQL queries;
``deployment`` holds process versions, which cases pin. Form submissions, records and
attachments belong to a case and live here too.
"""
