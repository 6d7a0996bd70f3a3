"""Reusable test support: scenario driver and the scenarios of every process."""
