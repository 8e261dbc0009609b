"""Identity ids of an identity pool, kept in the catalog so that a user gets the same id across restarts,
workers and instances (Cognito's GetId contract).

- `cognito_identities`, key = identity id (`{region}:{uuid}`): identity_pool_id, logins {provider: sub},
  created_at. An identity with no logins is a guest (unauthenticated) identity.
- `cognito_identity_logins`, key `{identity pool id}/{provider}/{sub}`: identity_id. Written with
  `insert`, so two workers creating the same user's identity at once agree on one id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from gatepost.stores.base import Catalog, Doc

IDENTITIES = "cognito_identities"
LOGINS = "cognito_identity_logins"
COLLECTIONS = (IDENTITIES, LOGINS)


def _link_key(pool_id: str, provider: str, sub: str) -> str:
    return f"{pool_id}/{provider}/{sub}"


def new_identity_id(region: str) -> str:
    return f"{region}:{uuid.uuid4()}"


class Identities:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def get(self, identity_id: str) -> Doc | None:
        return self.catalog.get(IDENTITIES, identity_id)

    def linked(self, pool_id: str, provider: str, sub: str) -> str | None:
        doc = self.catalog.get(LOGINS, _link_key(pool_id, provider, sub))
        return doc.get("identity_id") if doc is not None else None

    def guest(self, pool_id: str, region: str, now: float) -> str:
        identity_id = new_identity_id(region)
        self.catalog.put(IDENTITIES, identity_id, {"identity_pool_id": pool_id, "logins": {}, "created_at": now})
        return identity_id

    def for_logins(self, pool_id: str, region: str, logins: Mapping[str, str], now: float,
                   identity_id: str | None = None) -> str:
        """The identity linked to any of these (provider -> sub) logins, else `identity_id` (a guest being
        upgraded) or a new one; every login is then linked to it. Raises LookupError when two logins
        already belong to two different identities."""
        found = {i for provider, sub in logins.items() if (i := self.linked(pool_id, provider, sub))}
        if identity_id is not None:
            found.add(identity_id)
        if len(found) > 1:
            raise LookupError("these logins belong to different identities")
        chosen = found.pop() if found else new_identity_id(region)
        for provider, sub in logins.items():
            if not self.catalog.insert(LOGINS, _link_key(pool_id, provider, sub), {"identity_id": chosen}):
                winner = self.linked(pool_id, provider, sub)  # another worker linked it first: use theirs
                if winner is not None and winner != chosen:
                    if found or identity_id is not None:
                        raise LookupError("these logins belong to different identities")
                    chosen = winner

        def merge(doc: Doc | None) -> Doc:
            base = doc or {"identity_pool_id": pool_id, "logins": {}, "created_at": now}
            return {**base, "logins": {**base.get("logins", {}), **logins}}

        self.catalog.update(IDENTITIES, chosen, merge)
        return chosen
