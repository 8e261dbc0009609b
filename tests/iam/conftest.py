"""Fixtures of the IAM tests (the shared pieces live in iam_world.py, a unique module name)."""

from iam_world import master_key, world

__all__ = ["master_key", "world"]
