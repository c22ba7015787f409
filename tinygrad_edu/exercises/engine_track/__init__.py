"""The engine track (see workspace.py, checks.py, capstone.py)."""
