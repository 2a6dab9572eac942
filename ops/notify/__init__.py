"""Notifications: channels reached through apprise, an outbox in SQLite and the sender that empties it."""
