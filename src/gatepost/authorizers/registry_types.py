"""AuthorizerKind, kept apart from registry.py so kind modules can declare themselves without a cycle."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from gatepost.authorizers.base import Authorizer, BuildContext


@dataclass(frozen=True, slots=True)
class AuthorizerKind:
    type: str
    model: builtins.type[BaseModel]
    build: Callable[[str, Any, BuildContext], Authorizer]
    needs: str = ""  # what a config of this kind must say, for the message on a wrong `type:`
    example: str = ""  # one working config of this kind, in YAML flow style


def kind(type_: str, model: type[BaseModel], build: Callable[[str, Any, BuildContext], Authorizer], *,
         needs: str = "", example: str = "") -> AuthorizerKind:
    return AuthorizerKind(type_, model, build, needs, example)
