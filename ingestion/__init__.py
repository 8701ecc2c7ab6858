"""Plain-Python ingestion for salesops: the input contract, readers, quality suites
and the demo-export generator. Nothing here imports Dagster."""
