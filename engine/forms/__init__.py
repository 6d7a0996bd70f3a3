"""Form definitions and the values people type into them.

``definitions`` loads a manual's form files (fields, types, choices, required rules);
``values`` checks and types one submission against its form, with messages in Thai and
English. Storing a submission with a case belongs to ``engine.cases``; drawing a form as a
web page belongs to the top-level ``forms`` adapter.
"""
