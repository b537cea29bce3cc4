"""Storage: SQLAlchemy models, the engine with its SQLite/PostgreSQL settings, and Alembic migrations."""
