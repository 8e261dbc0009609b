"""How does each endpoint decide whether the caller is allowed? `explain` (the table), `audit` (static
findings), `probe` (unauthenticated attempts against a running gateway)."""
