"""The admin port: metrics and read-only views for operators, off the request path (docs/operations.md)."""
