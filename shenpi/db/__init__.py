"""App data (docs/architecture.md §6): SQLAlchemy 2 async models, repository, Alembic migrations."""
