"""The prflow command line: a thin Typer adapter over engine.cases.service."""
