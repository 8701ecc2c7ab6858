"""Demo exports: a seeded generator of realistic CRM, billing, HR, planning and survey exports.

Not part of the product's data path: it writes the files the product reads, for
demos, tests and the benchmark. Only ``salesops demo-data`` imports it.
"""

from demo_exports.generator import generate_exports, generate_next_delivery

__all__ = ["generate_exports", "generate_next_delivery"]
