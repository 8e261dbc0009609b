"""Fuzz targets for Gatepost's edge: request heads, the router, SigV4, JWTs, IAM policies, the config loader.

    .venv/bin/python -m fuzz list
    .venv/bin/python -m fuzz run TARGET [--minutes N]      # coverage-guided with atheris, else hypothesis
    .venv/bin/python -m fuzz all [--minutes N]             # each target in turn, then a table

Each target is `one_input(data: bytes)`: it raises only on a finding (an exception the code under test must
never let out, or a broken invariant). The suite runs every target on hypothesis's short budget
(tests/fuzz/test_fuzz_targets.py); see docs/security.md, "Fuzzing".
"""
