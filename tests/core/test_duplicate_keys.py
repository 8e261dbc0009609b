"""A key written twice in one YAML mapping is refused at load, at any depth, with both lines.

Real files only: the payments example with one route's `groups:` written again, an AWS export (JSON)
with a repeated member, a bindings file; and the YAML features that legitimately repeat a key
(merge keys, aliases) still load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gatepost.cli import main
from gatepost.config.load import load_file
from gatepost.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "tests" / "explain" / "golden"


def refused(path: Path, **kw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_file(path, **kw)  # type: ignore[arg-type]
    return [str(issue) for issue in info.value.issues]


def test_the_example_with_a_route_lifting_its_own_group_is_refused(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples" / "payments", example, ignore=shutil.ignore_patterns(".gatepost"))
    config = example / "gatepost.yaml"
    text = config.read_text()
    admin_route = '{route: "GET /me/admin", authorizer: mobile, scopes: [profile.read], groups: [admins]}'
    assert admin_route in text
    config.write_text(text.replace(admin_route, admin_route[:-1] + ", groups: []}"))
    line = next(i for i, row in enumerate(config.read_text().splitlines(), 1) if "GET /me/admin" in row)

    (issue,) = refused(config, env={})
    assert issue.startswith(f"{config}:{line}: apis.payments.routes[1].groups: duplicate key 'groups'")
    assert "already set earlier on this line" in issue  # both on one line: a flow mapping

    assert main(["check", str(config)]) == 1
    assert "duplicate key 'groups'" in capsys.readouterr().err


def test_block_mappings_name_both_lines_at_every_depth(tmp_path: Path) -> None:
    config = tmp_path / "gatepost.yaml"
    config.write_text(
        "server:\n  port: 8080\n"                       # 1-2
        "apis:\n  a:\n    routes:\n"                     # 3-5
        "      - route: GET /x\n"                        # 6
        "        public: true\n"                         # 7
        "        integration:\n"                         # 8
        "          mock: {status: 200}\n"                # 9
        "        public: false\n"                        # 10
        "server:\n  port: 9090\n")                       # 11-12
    issues = refused(config)
    assert len(issues) == 2
    assert issues[0].startswith(f"{config}:10: apis.a.routes[0].public: duplicate key 'public': "
                                "already set at line 7 in the same mapping")
    assert "fix: keep one 'public' and delete the other" in issues[0]
    assert issues[1].startswith(f"{config}:11: server: duplicate key 'server': already set at line 1 ")


def test_an_export_with_a_repeated_member_is_refused(tmp_path: Path) -> None:
    """JSON objects too (an AWS export read as YAML): the second "x-amazon-apigateway-api-key-source"."""
    shutil.copy(EXPORTS / "rest.bindings.yaml", tmp_path / "rest.bindings.yaml")
    lines = (EXPORTS / "rest.json").read_text().splitlines()
    at = next(i for i, row in enumerate(lines) if '"x-amazon-apigateway-api-key-source"' in row)
    lines.insert(at + 1, '  "x-amazon-apigateway-api-key-source": "AUTHORIZER",')
    doc = tmp_path / "rest.json"
    doc.write_text("\n".join(lines) + "\n")
    (issue,) = refused(doc, env={})
    assert issue.startswith(f"{doc}:{at + 2}: x-amazon-apigateway-api-key-source: duplicate key")
    assert f"already set at line {at + 1}" in issue


def test_a_bindings_file_with_a_repeated_key_is_refused(tmp_path: Path) -> None:
    shutil.copy(EXPORTS / "rest.json", tmp_path / "rest.json")
    text = (EXPORTS / "rest.bindings.yaml").read_text()
    bindings = tmp_path / "rest.bindings.yaml"
    bindings.write_text(text + 'urls:\n  "https://backend.example.com": "http://127.0.0.1:9001"\n')
    issues = refused(tmp_path / "rest.json", env={})
    assert any(i.startswith(f"{bindings}:") and "urls: duplicate key 'urls'" in i for i in issues), issues


def test_merge_keys_and_aliases_are_not_duplicates(tmp_path: Path) -> None:
    config = tmp_path / "gatepost.yaml"
    config.write_text(
        "apis:\n  a:\n    authorizers:\n"
        "      staff: {type: jwt, issuer: 'https://auth.example.com/', audiences: [a]}\n"
        "    routes:\n"
        "      - &base {route: GET /x, authorizer: staff, scopes: [a], integration: &mock {mock: {}}}\n"
        "      - {<<: *base, route: GET /y, scopes: [b]}\n"   # overriding a merged key is what merges are for
        "      - {<<: *base, route: GET /z, integration: *mock}\n")
    config_, _ = load_file(config)
    routes = config_.apis["a"].routes
    assert [(r.route, r.authorizer, r.scopes) for r in routes] == [
        ("GET /x", "staff", ["a"]), ("GET /y", "staff", ["b"]), ("GET /z", "staff", ["a"])]


def test_keys_compare_as_the_loader_reads_them(tmp_path: Path) -> None:
    """`1` and `1.0` are one key once loaded (YAML would keep the last); "1" (a string) is another."""
    config = tmp_path / "gatepost.yaml"
    config.write_text("apis:\n  a:\n    stage_variables: {1: x, '1': y, 1.0: z}\n")
    (issue,) = refused(config)
    assert "apis.a.stage_variables.1.0: duplicate key 1.0: already set earlier on this line" in issue
