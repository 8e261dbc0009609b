"""The running gateway's view of IAM: an in-memory snapshot of access keys -> Credential, rebuilt off the
request path whenever the CLI changes a user, role or key (`services.watcher`), so a key disabled with
`gatepost iam disable-access-key` stops working within a second. One directory per gateway
(`services.extras`), shared by every IAM authorizer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gatepost.iam.crypto import SecretBox, SecretError
from gatepost.iam.model import ACTIVE, COLLECTIONS, KEYS, ROLES, USERS, session_arn
from gatepost.policy import PolicyDocument, PolicyError
from gatepost.sigv4 import Credential
from gatepost.stores.base import Catalog, Doc

if TYPE_CHECKING:
    from gatepost.services import Services

log = logging.getLogger("gatepost.iam")
EXTRAS_KEY = "iam.directory"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a verified access key belongs to: identity fields, policies, and policy condition keys."""

    arn: str  # user ARN or assumed-role session ARN
    account_id: str
    user_id: str  # AIDA... or AROA...:session
    principal_arn: str  # aws:PrincipalArn: the user, or the role (not the session)
    policies: tuple[PolicyDocument, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    cognito: Mapping[str, Any] | None = None  # identity-pool fields of credentials issued by an identity pool


def _tags(doc: Doc) -> dict[str, Any]:
    return {f"aws:PrincipalTag/{k}": v for k, v in (doc.get("tags") or {}).items()}


def _policies(doc: Doc) -> tuple[PolicyDocument, ...]:
    return tuple(PolicyDocument.parse(p) for p in (doc.get("policies") or {}).values())


def caller_for(key: Doc, owner: Doc) -> Caller:
    account = owner["account_id"]
    base = {"aws:PrincipalAccount": account, **_tags(owner)}
    if key.get("owner_type") == "role":
        session = key.get("session_name", "session")
        user_id = f"{owner['id']}:{session}"
        context = {**base, "aws:PrincipalArn": owner["arn"], "aws:PrincipalType": "AssumedRole",
                   "aws:userid": user_id, "aws:TokenIssueTime": key.get("issued_at")}
        cognito = key.get("cognito")
        return Caller(session_arn(account, owner["name"], session), account, user_id, owner["arn"],
                      _policies(owner), context, cognito if isinstance(cognito, dict) else None)
    context = {**base, "aws:PrincipalArn": owner["arn"], "aws:PrincipalType": "User", "aws:userid": owner["id"],
               "aws:username": owner["name"]}
    return Caller(owner["arn"], account, owner["id"], owner["arn"], _policies(owner), context)


def build_snapshot(catalog: Catalog, box: SecretBox) -> dict[str, Credential]:
    """Blocking (catalog reads, decryption): run in a thread."""
    owners = {USERS: dict(catalog.list(USERS)), ROLES: dict(catalog.list(ROLES))}
    out: dict[str, Credential] = {}
    for key_id, key in catalog.list(KEYS):
        collection = ROLES if key.get("owner_type") == "role" else USERS
        owner = owners[collection].get(key.get("owner", ""))
        if owner is None or key.get("status") != ACTIVE:
            continue
        try:
            secret = box.unseal(key["secret"], key_id)
            caller = caller_for(key, owner)
        except (SecretError, PolicyError, KeyError) as exc:  # fail closed: the key does not work
            log.warning("iam.key_unusable access_key_id=%s error=%s", key_id, type(exc).__name__)
            continue
        token = key.get("session_token_sha256")
        out[key_id] = Credential(key_id, secret, True, bytes.fromhex(token) if token else None,
                                 key.get("expires_at"), caller)
    return out


class IamDirectory:
    def __init__(self, catalog: Catalog, box: SecretBox) -> None:
        self.catalog = catalog
        self.box = box
        self._credentials: dict[str, Credential] = {}
        self._lock = asyncio.Lock()
        self._last_miss_reload = float("-inf")

    @classmethod
    def shared(cls, services: Services) -> IamDirectory:
        found = services.extras.get(EXTRAS_KEY)
        if isinstance(found, IamDirectory):
            return found
        directory = cls(services.catalog, SecretBox.for_catalog(services.catalog, services.config_dir))
        services.extras[EXTRAS_KEY] = directory
        for collection in COLLECTIONS:
            services.watcher.subscribe(collection, directory.reload)
        return directory

    def lookup(self, access_key_id: str) -> Credential | None:
        return self._credentials.get(access_key_id)

    async def reload_for_unknown_key(self, now: float) -> bool:
        """An access key this snapshot does not know: it may have been issued a moment ago (`gatepost iam
        assume-role`, another worker, an identity pool) and the watcher not have run yet. Reload now, at
        most once a second per process (a flood of made-up keys costs one catalog read a second)."""
        if now - self._last_miss_reload < 1.0:
            return False
        self._last_miss_reload = now
        await self.reload()
        return True

    async def reload(self) -> None:
        async with self._lock:
            self._credentials = await asyncio.to_thread(build_snapshot, self.catalog, self.box)
        log.info("iam.snapshot keys=%d", len(self._credentials))

    def __len__(self) -> int:
        return len(self._credentials)
