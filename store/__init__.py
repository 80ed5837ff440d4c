"""Persistence: SQLAlchemy models, Alembic migrations, repositories."""
