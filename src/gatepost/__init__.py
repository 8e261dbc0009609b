"""Gatepost: a self-hostable API gateway that enforces AWS API Gateway's authorization model."""

__version__ = "0.1.0"
