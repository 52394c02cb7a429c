"""Transport: one interface (`Bus`), an embedded SQLite log backend, the mention schema and the
worker loop every stage runs in."""
