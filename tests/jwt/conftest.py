from __future__ import annotations

from collections.abc import Iterator

import pytest
from jwt_helpers import Cognito, Issuers, run_issuers, run_moto


@pytest.fixture(scope="session")
def cognito() -> Iterator[Cognito]:
    """moto's Cognito server on loopback: a pool, an app client, `earl` in groups admin+support, `plain`."""
    with run_moto() as c:
        yield c


@pytest.fixture
def issuers() -> Iterator[Issuers]:
    """Local issuers `bank`, `other` (OIDC) and `pool` (Cognito-shaped), each with its own RSA key."""
    with run_issuers() as i:
        yield i
