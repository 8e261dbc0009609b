"""Integrations: where an allowed request goes (http proxy, mock, Lambda-proxy handler)."""
