"""Reading BPMN: what a process owner's diagram means and whether prflow can run it.

``definitions`` parses and compiles a version (roles, forms, due rules, timers),
``dialects`` reads Camunda 7/8 and bpmn.io extensions into our own properties,
``expressions`` is the safe condition language every gateway runs through, and
``process_rules`` / ``form_rules`` list every problem of a file at once. Nothing here
touches the database: it is pure and used by deploy, validate and the running cases alike.
"""
