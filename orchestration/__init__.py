"""Dagster wiring for salesops: assets, checks, jobs and the ``salesops`` CLI."""
