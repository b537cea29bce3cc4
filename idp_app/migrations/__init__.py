"""Alembic migrations of the IDP Desk database (see idp_app.db.migrate)."""
