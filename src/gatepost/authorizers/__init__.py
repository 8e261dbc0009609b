"""Authorizers: one module per kind (none, iam, jwt, user_pool, lambda_), listed in registry.py."""
