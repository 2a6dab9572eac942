"""Everything that talks to the Docker engine: docker-py (engine.py) and the Compose CLI (compose.py)."""
