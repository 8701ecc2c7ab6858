"""What leaves the warehouse: the publication readers open, the report pack, and email.

Plain Python with no Dagster: ``orchestration/`` wires it into the pipeline.
"""
