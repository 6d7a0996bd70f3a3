"""Thai working time: the office calendar and deadlines counted in working days and hours.

``calendar`` knows holidays, weekends and office hours (Asia/Bangkok); ``deadlines``
parses a manual's due rule ("3 working days", "4 office hours") and adds it to an instant.
Pure functions of the calendar: no database, no cases.
"""
