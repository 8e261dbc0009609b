"""Configuration: pydantic models (models.py) -> load.py (YAML, ${ENV}, located errors) -> compile.py."""
