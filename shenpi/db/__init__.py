"""App data (DESIGN.md §6): SQLAlchemy 2 async models, a repository, and Alembic migrations."""
