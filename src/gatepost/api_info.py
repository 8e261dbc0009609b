"""ApiInfo: what any part of the gateway may know about the API it serves (for ARNs, events, error bodies).

A leaf value (it imports nothing of Gatepost), so that authorizers, integrations and gates can name it
without importing the runtime objects (gateway.py) that hold them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ApiInfo:
    name: str
    api_id: str
    flavour: str  # rest | http
    stage: str
    region: str
    account_id: str
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()  # REST's binaryMediaTypes
