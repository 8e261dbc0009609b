"""The message for an authorizer or integration whose `type:` is wrong or missing.

Pydantic reports "Input tag 'jwtt' found using 'type' does not match any of the expected tags"; a person
needs the kinds that exist, what each one needs, and an example to copy. Both come from the registries
(each kind says its `needs` and `example`), so a new kind is described without editing this file.
"""

from __future__ import annotations

import difflib
from typing import Any

from gatepost.authorizers.registry import KINDS as AUTHORIZER_KINDS
from gatepost.integrations.registry import KINDS as INTEGRATION_KINDS

Loc = tuple[str | int, ...]


def wrong_kind(loc: Loc, data: Any) -> tuple[str, str] | None:
    """(problem, fix) when `loc` is an authorizer or an integration; None elsewhere."""
    if len(loc) >= 2 and loc[-2] == "authorizers":
        role, kinds, shorthand = "authorizer", {k: (v.needs, v.example) for k, v in AUTHORIZER_KINDS.items()}, False
    elif loc and loc[-1] == "integration":
        role, kinds, shorthand = "integration", {k: (v.needs, v.example) for k, v in INTEGRATION_KINDS.items()}, True
    else:
        return None
    value = _at(data, loc)
    given = value.get("type") if isinstance(value, dict) else None
    if given is not None:
        problem = f"unknown {role} type {given!r}"
        close = difflib.get_close_matches(str(given), kinds, n=1)
    elif shorthand and isinstance(value, dict) and len(value) == 1:
        (key,) = value
        problem = f"{role} {{{key}: ...}} names no kind ({key!r} is not one)"
        close = difflib.get_close_matches(str(key), kinds, n=1)
    else:
        problem = f"{role} without `type:`"
        close = []
    if close:
        problem += f"; did you mean {close[0]!r}?"
    lines = [f"set type: to one of these kinds{' (or write the one-key form shown)' if shorthand else ''}:"]
    width = max(len(k) for k in kinds)
    for name, (needs, example) in kinds.items():
        lines.append(f"{name:<{width}}  needs {needs or 'nothing else'}")
        lines.append(f"{'':<{width}}  e.g. {loc[-1]}: {example or '{type: ' + name + '}'}")
    return problem, "\n      ".join(lines)


def _at(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
