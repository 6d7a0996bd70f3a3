"""prflow's engine: runs BPMN definitions of Thai office manuals as durable cases.

The engine owns definitions, cases, task rows, the event log, deadlines and the working-time
calendar. It never imports the web or CLI layers (checked by import-linter).
"""
