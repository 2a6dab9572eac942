"""Safe maintenance: update candidates, rollback to last known good, housekeeping, windows, last words."""
