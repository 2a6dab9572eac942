"""Alerts: rules that watch the world, the runs, the actions and the host, and the messages they send."""
