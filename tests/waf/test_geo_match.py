"""GeoMatchStatement against a real MaxMind-format database, written here with mmdb-writer (a tiny
GeoLite2-Country-shaped file: one network per country), and read by maxminddb as a user's file would be."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from wafkit import build_acl, evaluate, request

from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_text
from gatepost.errors import ConfigError
from gatepost.services import Services
from gatepost.waf.geo import CountryDatabase


@pytest.fixture(scope="module")
def country_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geo") / "countries.mmdb"
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["192.0.2.0/24"]), {"country": {"iso_code": "NL", "names": {"en": "Netherlands"}}})
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"registered_country": {"iso_code": "KP"}})
    writer.insert_network(IPSet(["2001:db8:5::/48"]), {"country": {"iso_code": "RU"}})
    writer.to_db_file(str(path))
    return path


def _acl(codes: list[str], **statement: object) -> dict[str, object]:
    return {"Name": "geo", "DefaultAction": {"Allow": {}}, "Rules": [{
        "Name": "embargo", "Priority": 1, "Action": {"Block": {}},
        "Statement": {"GeoMatchStatement": {"CountryCodes": codes, **statement}}}]}


def test_country_from_the_database(country_db: Path) -> None:
    db = CountryDatabase(str(country_db))
    assert db.country(ipaddress.ip_address("192.0.2.9")) == "NL"
    acl = build_acl(_acl(["KP", "RU"]), geo=db)
    assert evaluate(acl, request({"source_ip": "198.51.100.20"})).blocked  # registered_country when no country
    assert evaluate(acl, request({"source_ip": "2001:db8:5::1"})).blocked
    assert not evaluate(acl, request({"source_ip": "192.0.2.9"})).blocked
    assert not evaluate(acl, request({"source_ip": "203.0.113.1"})).blocked  # not in the database


def test_forwarded_ip_config(country_db: Path) -> None:
    fwd = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
    acl = build_acl(_acl(["NL"], ForwardedIPConfig=fwd), geo=CountryDatabase(str(country_db)),
                    trusted=["10.0.0.0/8"])
    via = {"peer_ip": "10.1.1.1", "source_ip": "203.0.113.1"}
    assert evaluate(acl, request({**via, "headers": [["X-Forwarded-For", "192.0.2.1, 10.1.1.1"]]})).blocked
    assert evaluate(acl, request({**via, "headers": [["X-Forwarded-For", "not-an-ip"]]})).blocked  # fallback
    assert not evaluate(acl, request(via)).blocked  # no header: the rule does not apply
    assert not evaluate(acl, request({"source_ip": "203.0.113.1", "peer_ip": "203.0.113.1",
                                      "headers": [["X-Forwarded-For", "192.0.2.1"]]})).blocked  # untrusted peer


def test_config_names_the_database_and_refuses_a_missing_one(tmp_path: Path, country_db: Path) -> None:
    def text(db: str) -> str:
        return (f"web_acls:\n  edge:\n    geo_database: {db}\n    definition: {_acl(['NL'])}\n"
                "apis:\n  a:\n    web_acl: edge\n    routes: [{route: \"GET /x\", public: true}]\n"
                "    integration: {http: \"http://127.0.0.1:9\"}\n")

    config, doc = load_text(text(str(country_db)), "gatepost.yaml")
    gw = compile_gateway(config, doc, Services(), tmp_path)
    assert gw.apis[0].web_acl.name == "geo"
    config, doc = load_text(text("missing.mmdb"), "gatepost.yaml")
    with pytest.raises(ConfigError, match=r"web_acls\.edge\.geo_database: cannot open the country database"):
        compile_gateway(config, doc, Services(), tmp_path)
