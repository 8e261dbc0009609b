"""What every mapper of one import shares: the options, the flavour, the bindings and the fate ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatepost.openapi.bindings import Bindings
from gatepost.openapi.fates import Ledger, Path

PARTIAL_FIX = "or accept a partial import (--accept-partial): the item is then listed in the config as a comment"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    flavour: str | None = None  # rest | http: overrides the document's marks (flavour.py)
    accept_partial: bool = False  # refused items do not fail the import; their routes are left out
    stub_aws_services: bool = False  # an AWS service integration becomes a route answering AWS's 500


@dataclass(slots=True)
class Ctx:
    flavour: str
    bindings: Bindings
    options: ImportOptions
    ledger: Ledger = field(default_factory=Ledger)

    def refuse(self, path: Path, reason: str, fix: str = "") -> None:
        self.ledger.refused(path, reason, fix)

    def done(self, path: Path, to: str) -> None:
        self.ledger.converted(path, to)

    def same(self, path: Path, to: str) -> None:
        """Converted to a documented equivalent."""
        self.ledger.equivalent(path, to)
