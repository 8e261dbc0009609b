"""The gateway's Web ACL gates: each `web_acls:` entry compiled once (sources.py) and wrapped in one gate that
every API naming it shares (and so shares its rate counters)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gatepost.errors import ConfigIssue
from gatepost.usage.build import SETTINGS, shared_runtime
from gatepost.waf.gate import WebAclFilter
from gatepost.waf.sources import Report, build_web_acls

if TYPE_CHECKING:
    from gatepost.config.models import GatewayConfig
    from gatepost.services import Services


def build_web_acl_gates(config: GatewayConfig, config_dir: Path, services: Services,
                        report: Report) -> tuple[dict[str, WebAclFilter], list[ConfigIssue]]:
    account = next((a.account_id for a in config.apis.values()), "123456789012")
    acls, issues = build_web_acls(config.web_acls, config_dir, report, config.server.trusted_proxies, account)
    gates: dict[str, WebAclFilter] = {}
    for name, acl in acls.items():
        runtime = None
        if acl.has_rate_rules:  # counted in state.counters, with the usage plans' settings and checks
            services.extras.setdefault(SETTINGS, config.usage)
            services.settings.setdefault("counters", config.state.counters)
            try:
                runtime = shared_runtime(services)
            except ValueError as exc:
                issues.append(report(("web_acls", name), str(exc), ""))
                continue
        gates[name] = WebAclFilter(acl, services.clock, runtime)
    return gates, issues
