"""Persistence: SQLAlchemy models, Alembic migrations, seeding, repositories."""
