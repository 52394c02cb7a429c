"""The case store: SQLAlchemy Core tables, engine set-up, and the queries and commands on cases,
posts, the case event log and ingest cursors. SQLite by default, PostgreSQL at scale."""
