"""API keys, usage plans, throttles and quotas."""
