"""Rotating the master key (`gatepost master-key rotate`): every secret the catalog holds sealed with it
(iam/crypto.py) is unsealed with the current key and sealed again with the new one.

Where sealed secrets live, and the context each was sealed under (AES-GCM's associated data):

    iam_access_keys/{key id}.secret                        {key id}
    idp_pools/{pool id}.client_secrets.{client id}         idp-client:{pool id}/{client id}
    idp_keys/{pool id}/{kid}.private                       idp-key:{pool id}/{kid}   (identity pools' ring too)
    idp_oauth_flows/{digest}.nonce, .verifier              idp-flow:{digest}         (sign-ins under way)

Nothing is written unless every one of them opens with the current key or already opens with the new one
(a rotation that stopped half-way is finished by running it again). Each document is rewritten in one
catalog update, and only where it still holds the value that was read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gatepost.iam.crypto import SecretBox, SecretError
from gatepost.iam.model import KEYS as IAM_KEYS
from gatepost.idp.keys import KEYS as IDP_KEYS
from gatepost.idp.state import POOLS
from gatepost.stores.base import Catalog, Doc

FLOWS = "idp_oauth_flows"  # idp/hosted.py (not imported: it pulls in the whole hosted UI)
Path = tuple[str, ...]


def _iam_key(key: str, doc: Doc) -> Iterator[tuple[Path, str]]:
    if isinstance(doc.get("secret"), str):
        yield ("secret",), key


def _pool(key: str, doc: Doc) -> Iterator[tuple[Path, str]]:
    for client_id in doc.get("client_secrets") or {}:
        yield ("client_secrets", client_id), f"idp-client:{key}/{client_id}"


def _signing_key(key: str, doc: Doc) -> Iterator[tuple[Path, str]]:
    if isinstance(doc.get("private"), str):
        yield ("private",), f"idp-key:{key}"


def _flow(key: str, doc: Doc) -> Iterator[tuple[Path, str]]:
    for name in ("nonce", "verifier"):
        if isinstance(doc.get(name), str):
            yield (name,), f"idp-flow:{key}"


PLACES: dict[str, Callable[[str, Doc], Iterator[tuple[Path, str]]]] = {
    IAM_KEYS: _iam_key, POOLS: _pool, IDP_KEYS: _signing_key, FLOWS: _flow}


@dataclass(frozen=True)
class Sealed:
    collection: str
    key: str
    path: Path
    context: str
    value: str

    def where(self) -> str:
        return f"{self.collection}/{self.key}:{'.'.join(self.path)}"


@dataclass
class Plan:
    todo: list[tuple[Sealed, str]] = field(default_factory=list)  # (sealed, plaintext)
    done: list[Sealed] = field(default_factory=list)  # already under the new key
    unreadable: list[Sealed] = field(default_factory=list)  # opens with neither key

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for sealed, _ in self.todo:
            out[sealed.collection] = out.get(sealed.collection, 0) + 1
        return out


def _get(doc: Doc, path: Path) -> Any:
    value: Any = doc
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def sealed_values(catalog: Catalog) -> Iterator[Sealed]:
    for collection, places in PLACES.items():
        for key, doc in catalog.list(collection):
            for path, context in places(key, doc):
                value = _get(doc, path)
                if isinstance(value, str):
                    yield Sealed(collection, key, path, context, value)


def plan(catalog: Catalog, old: SecretBox, new: SecretBox) -> Plan:
    out = Plan()
    for sealed in sealed_values(catalog):
        try:
            out.todo.append((sealed, old.unseal(sealed.value, sealed.context)))
            continue
        except SecretError:
            pass
        try:
            new.unseal(sealed.value, sealed.context)
            out.done.append(sealed)
        except SecretError:
            out.unreadable.append(sealed)
    return out


def _replaced(doc: Doc, path: Path, value: str) -> Doc:
    if len(path) == 1:
        return {**doc, path[0]: value}
    return {**doc, path[0]: _replaced(doc.get(path[0]) or {}, path[1:], value)}


def apply(catalog: Catalog, todo: list[tuple[Sealed, str]], new: SecretBox) -> int:
    """Seal each secret with `new`, one catalog update per document; returns how many were rewritten."""
    by_doc: dict[tuple[str, str], list[tuple[Sealed, str]]] = {}
    for sealed, plaintext in todo:
        by_doc.setdefault((sealed.collection, sealed.key), []).append((sealed, new.seal(plaintext, sealed.context)))
    written = 0

    for (collection, key), changes in by_doc.items():
        def reseal(doc: Doc | None, changes: list[tuple[Sealed, str]] = changes) -> Doc | None:
            nonlocal written
            if doc is None:
                return None
            for sealed, value in changes:
                if _get(doc, sealed.path) == sealed.value:  # unchanged since it was read
                    doc = _replaced(doc, sealed.path, value)
                    written += 1
            return doc

        catalog.update(collection, key, reseal)
    return written
