"""Alembic environment: run with a connection handed over by storage.db (or alembic CLI)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic command line (developers: autogenerate)
        url = config.get_main_option("sqlalchemy.url") or "sqlite:///crisiscell-dev.sqlite3"
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
