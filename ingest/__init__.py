"""Ingest: sources (one module per network), normalization into the mention schema, dedup,
durable cursors, and the ingest worker that writes `mentions.raw`."""
