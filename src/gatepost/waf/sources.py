"""Builds the gateway's Web ACLs from `web_acls:` once, at load: reads the JSON files, resolves IP set and regex
pattern set references, opens the country database, and reports every problem with its file and JSON place."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gatepost.errors import ConfigIssue
from gatepost.waf.acl import WebAcl
from gatepost.waf.config import WebAclConfig
from gatepost.waf.geo import CountryDatabase
from gatepost.waf.ipsets import parse_ip_set
from gatepost.waf.parse import Refs, compile_regex, parse_web_acl
from gatepost.waf.spec import Node, SpecError, SpecErrors

# (place in the config, problem, fix) -> a located issue in the config file
Report = Callable[[tuple[str | int, ...], str, str], ConfigIssue]


class _Source:
    """One JSON document: a file (issues name the file and the JSON place) or inline (the config's place)."""

    def __init__(self, value: str | dict[str, Any], loc: tuple[str | int, ...], base: Path, report: Report) -> None:
        self.loc = loc
        self.report = report
        self.file: str | None = None
        if isinstance(value, str):
            path = Path(value) if Path(value).is_absolute() else base / value
            self.file = str(path)
            self.data: Any = self._read(path)
        else:
            self.data = value

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _Problem(self.issue("", f"cannot read {path}: {exc.strerror}", "check the path")) from None
        except json.JSONDecodeError as exc:
            raise _Problem(self.issue("", f"not valid JSON (line {exc.lineno}): {exc.msg}",
                                      "save the AWS CLI's output as it printed it")) from None

    def issue(self, place: str, problem: str, fix: str = "") -> ConfigIssue:
        if self.file is not None:
            return ConfigIssue(self.file, place or "(document)", problem, fix)
        return self.report(self.loc, f"{place}: {problem}" if place else problem, fix)

    def unwrap(self, wrapper: str) -> Node:
        """get-* output wraps the object (`{"WebACL": {...}, "LockToken": ...}`); the bare object works too."""
        if isinstance(self.data, dict) and isinstance(self.data.get(wrapper), dict):
            return Node(self.data[wrapper], wrapper)
        return Node(self.data, "")


class _Problem(Exception):
    def __init__(self, issue: ConfigIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def _load_refs(name: str, cfg: WebAclConfig, base: Path, report: Report, refs: Refs) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for i, item in enumerate(cfg.ip_sets):
        try:
            src = _Source(item, ("web_acls", name, "ip_sets", i), base, report)
            node = src.unwrap("IPSet")
            ip_set = parse_ip_set(node)
            refs.ip_sets[ip_set.name] = ip_set
            if ip_set.arn:
                refs.ip_sets[ip_set.arn] = ip_set
        except _Problem as p:
            issues.append(p.issue)
        except SpecError as e:
            issues.append(src.issue(e.place, e.problem, e.fix))
    for i, item in enumerate(cfg.regex_pattern_sets):
        try:
            src = _Source(item, ("web_acls", name, "regex_pattern_sets", i), base, report)
            node = src.unwrap("RegexPatternSet")
            patterns = tuple(compile_regex(r.text("RegexString"), r.at("RegexString"))
                             for r in node.need("RegularExpressionList").items())
            entry = (node.text("Name"), patterns)
            refs.regex_sets[entry[0]] = entry
            if node.has("ARN"):
                refs.regex_sets[node.text("ARN")] = entry
        except _Problem as p:
            issues.append(p.issue)
        except SpecError as e:
            issues.append(src.issue(e.place, e.problem, e.fix))
    if cfg.geo_database is not None:
        path = Path(cfg.geo_database) if Path(cfg.geo_database).is_absolute() else base / cfg.geo_database
        try:
            refs.geo = CountryDatabase(str(path))
        except (OSError, ValueError) as exc:
            issues.append(report(("web_acls", name, "geo_database"), f"cannot open the country database {path}: "
                                 f"{exc}", "give the path of a MaxMind-format .mmdb file"))
    return issues


def build_web_acl(name: str, cfg: WebAclConfig, base: Path, report: Report, trusted: list[str],
                  account: str) -> tuple[WebAcl | None, list[ConfigIssue]]:
    refs = Refs(trusted=tuple(ipaddress.ip_network(n, strict=False) for n in trusted), account=account)
    issues = _load_refs(name, cfg, base, report, refs)
    try:
        src = _Source(cfg.file if cfg.file is not None else cfg.definition or {},
                      ("web_acls", name, "file" if cfg.file is not None else "definition"), base, report)
    except _Problem as p:
        return None, [*issues, p.issue]
    refs.base64_strings = (cfg.search_strings or ("base64" if cfg.file is not None else "text")) == "base64"
    if issues:
        return None, issues
    try:
        acl = parse_web_acl(src.unwrap("WebACL"), refs, src.file or "inline", _counter_id(name))
    except SpecError as e:
        return None, [src.issue(e.place, e.problem, e.fix)]
    except SpecErrors as many:
        return None, [src.issue(e.place, e.problem, e.fix) for e in many.errors]
    return acl, []


def _counter_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def build_web_acls(configs: Mapping[str, WebAclConfig], base: Path, report: Report, trusted: list[str],
                   account: str = "123456789012") -> tuple[dict[str, WebAcl], list[ConfigIssue]]:
    acls: dict[str, WebAcl] = {}
    issues: list[ConfigIssue] = []
    for name, cfg in configs.items():
        acl, found = build_web_acl(name, cfg, base, report, trusted, account)
        issues += found
        if acl is not None:
            acls[name] = acl
    return acls, issues
