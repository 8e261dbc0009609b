"""AWS WAF JSON (a WebACL object) -> a frozen WebAcl. Everything the gateway cannot honour exactly is refused
by name with its JSON place (`Rules[3].Statement.ManagedRuleGroupStatement`), never ignored."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from gatepost.waf.acl import DEFAULT_BODY_LIMIT, WebAcl
from gatepost.waf.fields import Field, compile_field
from gatepost.waf.geo import CountryDatabase, GeoMatch
from gatepost.waf.injection import sqli_detector, xss_detector
from gatepost.waf.inspection import Inspection, Networks, Values
from gatepost.waf.ipsets import IPSet, IPSetReference, parse_forwarded
from gatepost.waf.rate import WINDOWS, CustomKey, RateBased
from gatepost.waf.rules import ALLOW, BLOCK, COUNT, Action, CustomResponse, Rule
from gatepost.waf.spec import Node, SpecError, SpecErrors
from gatepost.waf.statements import (
    And,
    Inspect,
    LabelMatch,
    Not,
    Or,
    Statement,
    Test,
    inspecting,
    positional_test,
    regex_test,
    share_components,
    size_test,
)
from gatepost.waf.transforms import compile_transformations

CONTENT_TYPES = {"TEXT_PLAIN": "text/plain", "TEXT_HTML": "text/html", "APPLICATION_JSON": "application/json"}
BODY_LIMITS = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
REFUSED_STATEMENTS = {
    "ManagedRuleGroupStatement": "AWS's managed rule groups are proprietary and cannot run outside AWS",
    "RuleGroupReferenceStatement": "rule groups are not supported; copy the group's rules into the Web ACL",
    "AsnMatchStatement": "ASN matching is not supported",
}
REFUSED_ACTIONS = {
    "Captcha": "CAPTCHA puzzles need AWS WAF's token service",
    "Challenge": "silent challenges need AWS WAF's token service",
    "Monetize": "not supported",
}


@dataclass
class Refs:
    """What statements may reference, and how this document spells byte strings."""

    ip_sets: dict[str, IPSet] = field(default_factory=dict)  # by ARN and by name
    regex_sets: dict[str, tuple[str, tuple[re.Pattern[str], ...]]] = field(default_factory=dict)
    geo: CountryDatabase | None = None
    base64_strings: bool = True  # get-web-acl output: SearchString is Base64 (a blob in the API)
    account: str = "123456789012"
    trusted: Networks = ()


T = TypeVar("T")


def resolve(table: Mapping[str, T], node: Node, what: str, flag: str) -> T:
    arn = node.text("ARN")
    found = table.get(arn)
    if found is None:
        parts = arn.split("/")
        found = table.get(parts[-2]) if len(parts) >= 3 else table.get(arn)
    if found is None:
        known = ", ".join(sorted(k for k in table if not k.startswith("arn:"))) or "none"
        listing = flag.replace("-", "_") + "s"
        raise SpecError(node.at("ARN"), f"no {what} loaded for {arn}",
                        f"add its `aws wafv2 get-{flag}` output to the ACL's {listing} (loaded: {known})")
    return found


def compile_regex(pattern: str, place: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise SpecError(place, f"the regular expression does not compile: {exc}", "correct the pattern") from None


def _search_string(node: Node, refs: Refs) -> str:
    if node.has("SearchStringBase64"):
        encoded, place = node.text("SearchStringBase64"), node.at("SearchStringBase64")
    elif refs.base64_strings:
        encoded, place = node.text("SearchString"), node.at("SearchString")
    else:
        return node.text("SearchString").encode("utf-8").decode("latin-1")
    try:
        return base64.b64decode(encoded, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        raise SpecError(place, "the search string is not Base64, as `aws wafv2 get-web-acl` prints it",
                        "export the ACL with the AWS CLI again, or set search_strings: text for plain "
                        "strings") from None


def _inspect(node: Node, test: Test) -> Inspect:
    """A statement over the node's FieldToMatch after its TextTransformations."""
    fld: Field = compile_field(node.need("FieldToMatch"))
    names, transform = compile_transformations(node.get("TextTransformations"))
    return Inspect(fld, names, transform, test)


def _byte_match(node: Node, refs: Refs) -> Statement:
    constraint = node.choice("PositionalConstraint", ("EXACTLY", "STARTS_WITH", "ENDS_WITH", "CONTAINS",
                                                       "CONTAINS_WORD"))
    search = _search_string(node, refs)
    if constraint == "CONTAINS_WORD" and not re.fullmatch(r"[A-Za-z0-9_]+", search):
        raise SpecError(node.at("SearchString"), "CONTAINS_WORD needs a search string of A-Z, a-z, 0-9 or _ only")
    return _inspect(node, positional_test(constraint, search))


def _detector(kind: str, node: Node) -> Statement:
    detect: Callable[[str], bool] | None
    if kind == "SqliMatchStatement":
        detect = sqli_detector(node.choice("SensitivityLevel", ("LOW", "HIGH"), "LOW"))
    else:
        detect = xss_detector()
    if detect is None:
        raise SpecError(node.place, f"{kind} needs libinjection, which is not installed",
                        "pip install 'gatepost[waf]' (the libinjection-python package), or remove the rule")
    return _inspect(node, Test(detect))


def statement(node: Node, refs: Refs, ctx: str) -> Statement:
    kind, spec = node.one_key("Statement")
    if kind == "ByteMatchStatement":
        return _byte_match(spec, refs)
    if kind == "RegexMatchStatement":
        pattern = compile_regex(spec.text("RegexString"), spec.at("RegexString"))
        return _inspect(spec, regex_test((pattern,)))
    if kind == "RegexPatternSetReferenceStatement":
        _, patterns = resolve(refs.regex_sets, spec, "regex pattern set", "regex-pattern-set")
        return _inspect(spec, regex_test(patterns))
    if kind == "SizeConstraintStatement":
        op = spec.choice("ComparisonOperator", ("EQ", "NE", "LE", "LT", "GE", "GT"))
        size = spec.integer("Size")
        if not 0 <= size <= 21474836480:
            raise SpecError(spec.at("Size"), "Size must be between 0 and 21474836480 (AWS's range)")
        return _inspect(spec, size_test(op, size))
    if kind == "IPSetReferenceStatement":
        ip_set = resolve(refs.ip_sets, spec, "IP set", "ip-set")
        fwd = spec.get("IPSetForwardedIPConfig")
        return IPSetReference(ip_set, parse_forwarded(fwd, True) if fwd else None)
    if kind == "GeoMatchStatement":
        return _geo(spec, refs)
    if kind in ("SqliMatchStatement", "XssMatchStatement"):
        return _detector(kind, spec)
    if kind in ("AndStatement", "OrStatement"):
        parts = tuple(statement(s, refs, ctx) for s in spec.need("Statements").items())
        if len(parts) < 2:
            raise SpecError(spec.at("Statements"), f"{kind} needs at least two statements, as AWS requires")
        return And(parts) if kind == "AndStatement" else Or(parts)
    if kind == "NotStatement":
        return Not(statement(spec.need("Statement"), refs, ctx))
    if kind == "LabelMatchStatement":
        return LabelMatch(spec.choice("Scope", ("LABEL", "NAMESPACE")), spec.text("Key"), ctx)
    if kind == "RateBasedStatement":
        raise SpecError(spec.place, "a RateBasedStatement cannot be nested in another statement (AWS forbids it)",
                        "make it the rule's top-level statement and use its ScopeDownStatement")
    if kind in REFUSED_STATEMENTS:
        what = f" ({spec.obj().get('VendorName', '')}/{spec.obj().get('Name', '')})" \
            if kind == "ManagedRuleGroupStatement" else ""
        raise SpecError(spec.place, f"{kind}{what} is refused: {REFUSED_STATEMENTS[kind]}",
                        "remove the rule, or write its conditions as your own statements (docs/web-acls.md)")
    raise SpecError(spec.place, f"unknown statement {kind!r}", "use a statement listed in docs/web-acls.md")


def _geo(spec: Node, refs: Refs) -> Statement:
    if refs.geo is None:
        raise SpecError(spec.place, "GeoMatchStatement needs a country database and none is configured",
                        "set geo_database: PATH (a MaxMind-format .mmdb file such as GeoLite2-Country.mmdb) "
                        "on this web ACL")
    codes = frozenset(str(c.value) for c in spec.need("CountryCodes").items())
    for i, code in enumerate(spec.need("CountryCodes").items()):
        if not (isinstance(code.value, str) and len(code.value) == 2 and code.value.isupper()):
            raise SpecError(spec.at("CountryCodes") + f"[{i}]", "a country code is two capital letters (ISO 3166-1)")
    fwd = spec.get("ForwardedIPConfig")
    return GeoMatch(codes, refs.geo, parse_forwarded(fwd, False) if fwd else None)


def _cookie_field(name: str) -> Field:
    def read(insp: Inspection) -> Values:
        out = []
        for header in insp.req.header_values("cookie"):
            for part in header.split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    out.append(v)
        return tuple(out)

    return Field(("Cookie", name), read)


# rate-based custom key -> (the FieldToMatch member it reads, whether it names one)
_KEY_FIELDS = {"HTTPMethod": ("Method", False), "UriPath": ("UriPath", False), "QueryString": ("QueryString", False),
               "Header": ("SingleHeader", True), "QueryArgument": ("SingleQueryArgument", True)}


def _custom_key(node: Node) -> CustomKey:
    kind, spec = node.one_key("custom key")
    if kind in ("IP", "ForwardedIP"):
        return CustomKey(kind)
    if kind == "LabelNamespace":
        return CustomKey(kind, namespace=spec.text("Namespace"))
    _, transform = compile_transformations(spec.get("TextTransformations"))
    if kind in _KEY_FIELDS:
        member, named = _KEY_FIELDS[kind]
        spec_json = {member: {"Name": spec.text("Name")} if named else {}}
        return CustomKey(kind, compile_field(Node(spec_json, spec.place)), transform)
    if kind == "Cookie":
        return CustomKey(kind, _cookie_field(spec.text("Name")), transform)
    raise SpecError(spec.place, f"rate-based custom key {kind} is not supported by Gatepost",
                    "use IP, ForwardedIP, Header, Cookie, QueryArgument, QueryString, HTTPMethod, UriPath or "
                    "LabelNamespace")


def rate_based(spec: Node, refs: Refs, ctx: str, prefix: str) -> RateBased:
    limit = spec.integer("Limit")
    if not 10 <= limit <= 2_000_000_000:
        raise SpecError(spec.at("Limit"), f"Limit {limit} is outside AWS's range 10-2,000,000,000")
    window = spec.integer("EvaluationWindowSec", 300)
    if window not in WINDOWS:
        raise SpecError(spec.at("EvaluationWindowSec"), f"EvaluationWindowSec {window} is not one of AWS's "
                        "60, 120, 300, 600")
    aggregate = spec.choice("AggregateKeyType", ("IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"))
    scope = spec.get("ScopeDownStatement")
    scope_down = statement(scope, refs, ctx) if scope is not None else None
    if aggregate == "CONSTANT" and scope_down is None:
        raise SpecError(spec.place, "AggregateKeyType CONSTANT needs a ScopeDownStatement, as AWS requires")
    fwd_node = spec.get("ForwardedIPConfig")
    fwd = parse_forwarded(fwd_node, False) if fwd_node is not None else None
    keys: tuple[CustomKey, ...] = ()
    if aggregate == "CUSTOM_KEYS":
        keys = tuple(_custom_key(k) for k in spec.need("CustomKeys").items())
        if not keys:
            raise SpecError(spec.at("CustomKeys"), "CUSTOM_KEYS needs at least one custom key")
    if fwd is None and (aggregate == "FORWARDED_IP" or any(k.kind == "ForwardedIP" for k in keys)):
        raise SpecError(spec.place, "a forwarded IP key needs ForwardedIPConfig", "add ForwardedIPConfig: "
                        '{"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}')
    return RateBased(prefix, limit, window, aggregate, scope_down, fwd, keys)


def _action(node: Node, bodies: dict[str, tuple[str, bytes]]) -> Action:
    kind, spec = node.one_key("action")
    if kind in REFUSED_ACTIONS:
        raise SpecError(spec.place, f"the {kind} action is refused: {REFUSED_ACTIONS[kind]}",
                        "use Block or Count")
    if kind not in ("Allow", "Block", "Count"):
        raise SpecError(spec.place, f"unknown action {kind!r}", "use Allow, Block or Count")
    if spec.has("CustomRequestHandling"):
        raise SpecError(spec.at("CustomRequestHandling"), "custom request handling (inserted headers) is not "
                        "supported by Gatepost", "remove CustomRequestHandling")
    if kind != "Block":
        return Action(ALLOW if kind == "Allow" else COUNT)
    custom = spec.get("CustomResponse")
    if custom is None:
        return Action(BLOCK)
    status = custom.integer("ResponseCode")
    if not 200 <= status <= 599:
        raise SpecError(custom.at("ResponseCode"), "ResponseCode must be between 200 and 599, as AWS requires")
    header_nodes = custom.get("ResponseHeaders")
    headers = tuple((h.text("Name"), h.text("Value")) for h in header_nodes.items()) if header_nodes else ()
    content_type, body = None, b""
    if custom.has("CustomResponseBodyKey"):
        key = custom.text("CustomResponseBodyKey")
        if key not in bodies:
            raise SpecError(custom.at("CustomResponseBodyKey"), f"no CustomResponseBodies entry named {key!r}",
                            "define it in the Web ACL's CustomResponseBodies")
        content_type, body = bodies[key]
    return Action(BLOCK, CustomResponse(status, headers, content_type, body))


def _bodies(acl: Node) -> dict[str, tuple[str, bytes]]:
    out = {}
    node = acl.get("CustomResponseBodies")
    for key, value in (node.obj().items() if node is not None else ()):
        body = Node(value, node.at(key))  # type: ignore[union-attr]
        ctype = body.choice("ContentType", tuple(CONTENT_TYPES))
        out[key] = (CONTENT_TYPES[ctype], body.text("Content").encode("utf-8"))
    return out


def _body_limit(acl: Node) -> int:
    assoc = acl.get("AssociationConfig")
    body = assoc.get("RequestBody") if assoc is not None else None
    api = body.get("API_GATEWAY") if body is not None else None
    if api is None:
        return DEFAULT_BODY_LIMIT
    return BODY_LIMITS[api.choice("DefaultSizeInspectionLimit", tuple(BODY_LIMITS))]


def _context(acl: Node, name: str, refs: Refs) -> str:
    if acl.has("LabelNamespace"):
        return acl.text("LabelNamespace")
    arn = acl.text("ARN", "")
    account = arn.split(":")[4] if arn.count(":") >= 5 else refs.account
    return f"awswaf:{account}:webacl:{name}:"


def _rule(node: Node, refs: Refs, ctx: str, acl_id: str, bodies: dict[str, tuple[str, bytes]]) -> Rule:
    name = node.text("Name")
    priority = node.integer("Priority")
    if node.has("OverrideAction"):
        raise SpecError(node.at("OverrideAction"), "OverrideAction belongs to rule group references, which are "
                        "refused", "remove the rule group reference")
    action = _action(node.need("Action"), bodies)
    label_nodes = node.get("RuleLabels")
    labels = tuple(ctx + lbl.text("Name") for lbl in label_nodes.items()) if label_nodes else ()
    st = node.need("Statement")
    kind, spec = st.one_key("Statement")
    if kind == "RateBasedStatement":
        rate = rate_based(spec, refs, ctx, f"waf:{acl_id}:{name}:")
        return Rule(name, priority, action, labels, rate=rate)
    return Rule(name, priority, action, labels, statement=statement(st, refs, ctx))


def parse_web_acl(acl: Node, refs: Refs, source: str, acl_id: str) -> WebAcl:
    """`acl` is the WebACL object (get-web-acl output's "WebACL", or the same shape written inline)."""
    name = acl.text("Name", acl_id)
    for key in ("PreProcessFirewallManagerRuleGroups", "PostProcessFirewallManagerRuleGroups"):
        if acl.get(key) is not None and acl.need(key).value:
            raise SpecError(acl.at(key), "Firewall Manager rule groups are refused (they reference rule groups)",
                            "copy their rules into the Web ACL")
    bodies = _bodies(acl)
    ctx = _context(acl, name, refs)
    default = _action(acl.need("DefaultAction"), bodies)
    if default.kind == COUNT:
        raise SpecError(acl.at("DefaultAction"), "DefaultAction is Allow or Block")
    rules = []
    errors: list[SpecError] = []
    seen: dict[int, str] = {}
    names: set[str] = set()
    rule_nodes = acl.get("Rules")
    for rule_node in rule_nodes.items() if rule_nodes is not None else ():
        try:
            rule = _rule(rule_node, refs, ctx, acl_id, bodies)
        except SpecError as exc:
            errors.append(exc)
            continue
        if rule.priority in seen:
            errors.append(SpecError(rule_node.at("Priority"), f"rules {seen[rule.priority]!r} and {rule.name!r} "
                                    f"have the same Priority {rule.priority}",
                                    "give every rule its own priority, as AWS requires"))
        if rule.name in names:
            errors.append(SpecError(rule_node.at("Name"), f"two rules are named {rule.name!r}", "rename one"))
        seen[rule.priority] = rule.name
        names.add(rule.name)
        rules.append(rule)
    if errors:
        raise SpecErrors(errors)
    rules.sort(key=lambda r: r.priority)
    share_components([i for r in rules for i in inspecting(r.statement if r.rate is None else r.rate.scope_down)])
    return WebAcl(name, default, tuple(rules), ctx, _body_limit(acl), refs.trusted, source)
