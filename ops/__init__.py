"""The core of the control plane: operations, the engine adapter, the world and the store (no UI here)."""
