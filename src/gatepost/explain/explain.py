"""`gatepost explain`: for every route of every API, how it decides whether the caller is allowed.

One row per route, computed from the compiled gateway: the authorizer's facts (facts.py), the route's
scopes / groups / API key, the API's key source and the usage plans covering it, the resource policy's
effect for a sample request, and whether the route is public.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from gatepost.config.models import GatewayConfig
from gatepost.explain.facts import authorizer_facts
from gatepost.explain.load import Loaded, sample_match
from gatepost.federation.explain import roles_reaching
from gatepost.gateway import Api, Route
from gatepost.stores.base import Catalog


@dataclass(frozen=True)
class Row:
    api: str
    flavour: str
    route: str
    public: bool
    authorizer: str
    kind: str
    identity_source: str
    owner: str
    cost: str
    coupling: str
    propagates: str
    scopes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    api_key: str = "-"
    usage_plan: str = "-"
    resource_policy: str = "none"
    identity_pool_roles: list[str] = field(default_factory=list)  # iam routes: roles that identity pools hand out
    web_acl: str = "none"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plans_for(config: GatewayConfig, api: Api, route: Route) -> list[str]:
    """The usage plans covering this API, with the limits that apply to this route."""
    out = []
    method_key = f"{route.key.path}/{route.key.method if route.key.method != 'ANY' else '*'}"
    for name, plan in (getattr(config, "usage_plans", None) or {}).items():
        for stage in plan.api_stages:
            if stage.api != api.name:
                continue
            throttle = stage.throttle.get(method_key) or plan.throttle
            parts = [f"{_num(throttle.rate)} rps, burst {throttle.burst}"] if throttle else []
            if plan.quota is not None:
                parts.append(f"{plan.quota.limit}/{plan.quota.period}")
            out.append(f"{name} ({'; '.join(parts) or 'no limits'})")
    return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def api_key_text(api: Api, route: Route) -> str:
    return f"required ({api.api_key_source})" if route.api_key_required else "-"


def route_row(loaded: Loaded, api: Api, route: Route, catalog: Catalog | None = None) -> Row:
    cfg = loaded.authorizer_config(api, route.authorizer.name) if route.authorizer.name else None
    facts = authorizer_facts(route.authorizer, cfg)
    plans = plans_for(loaded.config, api, route) if route.api_key_required else []
    return Row(
        api=api.name, flavour=api.flavour, route=route.route_key, public=route.public,
        authorizer=route.authorizer.name or "-", kind=facts["kind"],
        identity_source=facts["identity_source"], owner=facts["owner"], cost=facts["cost"],
        coupling=facts["coupling"], propagates=facts["propagates"],
        scopes=list(route.scopes or ()), groups=list(route.groups or ()),
        api_key=api_key_text(api, route), usage_plan=", ".join(plans) or "-",
        resource_policy=api.policy.describe(sample_match(api, route)),
        identity_pool_roles=roles_reaching(loaded.config, catalog, sample_match(api, route).method_arn)
        if catalog is not None and facts["kind"] == "iam" else [],
        web_acl=api.web_acl.describe(),
    )


def explain(loaded: Loaded, catalog: Catalog | None = None) -> list[Row]:
    """`catalog` (the config's own): also list the identity-pool roles that reach each IAM route."""
    apis = sorted(loaded.gateway.apis, key=lambda a: list(loaded.config.apis).index(a.name))
    return [route_row(loaded, api, route, catalog) for api in apis
            for route in sorted(api.routes, key=lambda r: r.index)]


COLUMNS = (("route", "ROUTE"), ("public", "PUBLIC"), ("authorizer", "AUTHORIZER"), ("kind", "KIND"),
           ("identity_source", "IDENTITY SOURCE"), ("owner", "IDP OWNER"), ("cost", "HOT-PATH COST"),
           ("coupling", "COUPLING"), ("propagates", "PROPAGATES"), ("requires", "REQUIRES"),
           ("api_key", "API KEY"), ("usage_plan", "USAGE PLAN"), ("resource_policy", "RESOURCE POLICY"))
# `gatepost explain` without --wide: who gets in, in 120 columns (a public route says PUBLIC as its authorizer)
NARROW = (("route", "ROUTE"), ("who", "AUTHORIZER"), ("kind", "KIND"), ("requires", "REQUIRES"),
          ("key", "API KEY"), ("resource_policy", "RESOURCE POLICY"))


def _cell(row: Row, key: str) -> str:
    if key == "public":
        return "PUBLIC" if row.public else "no"
    if key == "who":
        return "PUBLIC" if row.public else row.authorizer
    if key == "key":
        return "yes" if row.api_key != "-" else "-"
    if key == "requires":
        need = [f"scopes: {' '.join(row.scopes)}"] if row.scopes else []
        need += [f"groups: {' '.join(row.groups)}"] if row.groups else []
        need += [f"identity-pool roles: {'; '.join(row.identity_pool_roles)}"] if row.identity_pool_roles else []
        return "; ".join(need) or "-"
    return str(getattr(row, key))


def render_table(rows: Iterable[Row], columns: Sequence[tuple[str, str]] = COLUMNS, width: int | None = None) -> str:
    """One block per API: a header line (with its Web ACL, when it has one), then an aligned table of
    `columns`; with `width`, the widest columns are cut (ending in "…") until every line fits."""
    out: list[str] = []
    by_api: dict[str, list[Row]] = {}
    for row in rows:
        by_api.setdefault(row.api, []).append(row)
    for api, api_rows in by_api.items():
        acl = api_rows[0].web_acl
        out.append(f"API {api} ({api_rows[0].flavour})" + (f"  WEB ACL {acl}" if acl != "none" else ""))
        cells = [[title for _, title in columns]] + [[_cell(r, key) for key, _ in columns] for r in api_rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
        if width is not None:  # the route and who may call it are cut last
            floors = [min(w, 40) if key in ("route", "who", "kind") else len(title)
                      for w, (key, title) in zip(widths, columns, strict=True)]
            widths = fit(widths, floors, width - 2)
        for line in cells:
            out.append("  " + "  ".join(_cut(c, w).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        out.append("")
    return "\n".join(out)


def fit(widths: list[int], floors: list[int], width: int, gap: int = 2) -> list[int]:
    """Narrow the widest column, one character at a time, until the columns and gaps fit in `width`
    (never below its title, nor below 8)."""
    widths = list(widths)
    while sum(widths) + gap * (len(widths) - 1) > width:
        shrinkable = [i for i, w in enumerate(widths) if w > max(floors[i], 8)]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
