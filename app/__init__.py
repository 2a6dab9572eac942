"""The composition root: settings, auth, pages, HTTP routes and the CLI."""
