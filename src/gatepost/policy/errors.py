"""The one exception of the policy language: a malformed policy document."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy document that cannot be parsed; the message says what is wrong and where."""
