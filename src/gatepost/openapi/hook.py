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
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.openapi import bindings as bindings_file
from gatepost.openapi.context import ImportOptions
from gatepost.openapi.convert import Imported, convert
from gatepost.openapi.fates import Report

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


def refusals(report: Report, doc: Located) -> list[ConfigIssue]:
    """Each refused element as a config issue: file:line, its JSON pointer, why, and how to fix it."""
    out = []
    for element in report.refused:
        line = doc.line(element.path)
        out.append(ConfigIssue(f"{doc.file}:{line}" if line else doc.file, element.pointer or "(document)",
                               element.detail, element.fix))
    return out


def load_bindings(doc: Located, env: Mapping[str, str], bindings: str | Path | None) -> bindings_file.Bindings:
    found, _ = bindings_file.load(doc.file, doc.data, bindings, env)
    return found


def import_located(doc: Located, env: Mapping[str, str], bindings: str | Path | None = None,
                   options: ImportOptions = ImportOptions()) -> tuple[Imported, ImportedLocated]:
    """Raises ConfigError with every refused element, unless `options.accept_partial`."""
    imported = convert(doc.data, load_bindings(doc, env, bindings), options)
    if imported.report.refused and not options.accept_partial:
        raise ConfigError(refusals(imported.report, doc))
    return imported, ImportedLocated(doc, imported.origins)


def import_document(doc: Located, env: Mapping[str, str], bindings: str | Path | None = None,
                    ) -> tuple[dict[str, Any], ImportedLocated]:
    """The native config dict and its locator; public operations are logged loudly (as AWS serves them)."""
    imported, located = import_located(doc, env, bindings)
    for route in imported.public:
        log.warning("openapi.public_route api=%s route=%s: anyone may call it, as on AWS",
                    imported.api_name, route)
    return imported.config, located
