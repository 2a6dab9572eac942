"""Persistence: Tortoise ORM models on SQLite, migrations and queries."""
