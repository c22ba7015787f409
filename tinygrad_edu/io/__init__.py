"""Files: save and load checkpoints (serialization.py), written atomically (atomic.py)."""
