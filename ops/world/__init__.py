"""What runs: the observer keeps a live picture of the engine's containers from its event stream."""
