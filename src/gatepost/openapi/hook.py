"""What `config/load.py` calls when a file is an AWS OpenAPI export: bindings + convert, located errors.

Errors found later (validation, compile) name the native place *and* the document's place and line,
e.g. `api.yaml:42: apis.petstore.routes[3].integration (from paths./pets.get): ...`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatepost.config.located import Loc, Located, place
from gatepost.errors import ConfigIssue
from gatepost.openapi import bindings as bindings_file
from gatepost.openapi.convert import Imported, convert

log = logging.getLogger("gatepost.openapi")


class ImportedLocated(Located):
    """Locates native config places in the document they were imported from."""

    def __init__(self, source: Located, origins: Mapping[Loc, Loc]) -> None:  # no super(): nothing to parse
        self.file = source.file
        self.lines = source.lines
        self.data = source.data
        self.source = source
        self.origins = dict(origins)

    def _origin(self, loc: Loc) -> Loc | None:
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.origins:
                return self.origins[loc[:n]]
        return None

    def line(self, loc: Loc) -> int | None:
        origin = self._origin(loc)
        return self.source.line(origin) if origin is not None else None

    def issue(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        origin = self._origin(loc)
        line = self.line(loc)
        where = (place(loc) or "(top level)") + (f" (from {place(origin)})" if origin else "")
        return ConfigIssue(f"{self.file}:{line}" if line else self.file, where, problem, fix)


def import_located(doc: Located, env: Mapping[str, str], bindings: str | Path | None = None,
                   ) -> tuple[Imported, ImportedLocated]:
    found, _ = bindings_file.load(doc.file, doc.data, bindings, env)
    imported = convert(doc.data, doc, found)
    return imported, ImportedLocated(doc, imported.origins)


def import_document(doc: Located, env: Mapping[str, str], bindings: str | Path | None = None,
                    ) -> tuple[dict[str, Any], ImportedLocated]:
    """The native config dict and its locator; public operations are logged loudly (as AWS serves them)."""
    imported, located = import_located(doc, env, bindings)
    for route in imported.public:
        log.warning("openapi.public_route api=%s route=%s: anyone may call it, as on AWS",
                    imported.api_name, route)
    return imported.config, located
