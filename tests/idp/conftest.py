"""Fixtures of the built-in user pool tests (the shared pieces live in idp_kit.py, a unique module name)."""

from idp_kit import idp, master_key

__all__ = ["idp", "master_key"]
