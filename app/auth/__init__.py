"""Who may use the console: users (created from the CLI), passwords and the login gate."""
