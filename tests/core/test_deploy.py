"""deploy/ as far as this machine can check it: every file parses, names only files that exist, the
gateway config compiles, the image runs as non-root and the probes point at the health endpoints, and the
compose file validates against the Compose Specification's own JSON schema (tests/core/compose-spec/, with
its licence) after Compose's variable interpolation. `kubectl kustomize` and `docker compose config` run
too where those tools are installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gatepost.bootstrap import build_gateway
from gatepost.config.load import load_file
from gatepost.stores.memory import MemoryCatalog
from support import REPO

DEPLOY = REPO / "deploy"
ENV = {"POSTGRES_PASSWORD": "pw"}
COMPOSE_SCHEMA = Path(__file__).parent / "compose-spec" / "compose-spec.json"
# Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$ for a $
INTERPOLATION = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_the_deployed_config_compiles_with_its_secrets_from_the_environment() -> None:
    config, _ = load_file(DEPLOY / "gatepost.yaml", env=ENV)
    assert config.state.catalog == "postgresql://gatepost:pw@postgres:5432/gatepost"
    assert config.state.counters.startswith("redis://redis:6379/")
    text = (DEPLOY / "gatepost.yaml").read_text().replace("${POSTGRES_PASSWORD}", "pw")
    build_gateway(text=text, catalog=MemoryCatalog(), workers=2, config_dir=DEPLOY)  # 2 workers: shared counters


def test_dockerfile_installs_the_repo_and_runs_as_non_root() -> None:
    lines = [ln.strip() for ln in (DEPLOY / "Dockerfile").read_text().splitlines()]
    images = [ln.split()[1] for ln in lines if ln.startswith("FROM ")]
    assert images and all(image.endswith("-slim") for image in images)
    # the wheel is built where a compiler is (mypyc, setup.py) and the runtime stage installs only the wheel
    assert any("setup.py" in ln for ln in lines if ln.startswith("COPY "))
    assert lines.index(next(ln for ln in lines if ln.startswith("COPY --from=build"))) > lines.index(
        next(ln for ln in lines if ln.startswith("FROM ") and not ln.endswith(" AS build")))
    for ln in lines:
        if ln.startswith("COPY ") and "--from" not in ln:
            for src in ln.split()[1:-1]:
                assert (REPO / src).exists(), f"Dockerfile copies {src}, which is missing"
    user = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert any("/_gatepost/health" in ln for ln in lines)


def test_compose_has_two_instances_behind_a_balancer_with_persistent_redis_and_postgres() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    gateways = [n for n, s in services.items() if s.get("image") == "gatepost:local"]
    assert len(gateways) == 2
    build = services[gateways[0]]["build"]
    assert (DEPLOY / "compose" / build["context"] / build["dockerfile"]).is_file()
    assert "--appendonly" in services["redis"]["command"]
    assert {"POSTGRES_PASSWORD", "GATEPOST_MASTER_KEY"} <= set(services[gateways[0]]["environment"])
    assert services["postgres"]["volumes"] and services["redis"]["volumes"]
    for name, service in services.items():
        for dep in service.get("depends_on", []):
            assert dep in services, f"{name} depends on unknown {dep}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / "compose" / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"]
    nginx = (DEPLOY / "compose" / "nginx.conf").read_text()
    assert all(f"server {g}:8080" in nginx for g in gateways)


def test_kubernetes_manifests_parse_and_reference_what_exists() -> None:
    docs = k8s_documents()
    kinds = {d["kind"]: d for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "Secret"} <= set(kinds)
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DEPLOY / resource).is_file()
    for generator in kustomization["configMapGenerator"]:
        for f in generator["files"]:
            assert (DEPLOY / f.split("=")[-1]).is_file()
    assert {"POSTGRES_PASSWORD", "GATEPOST_MASTER_KEY"} <= set(kinds["Secret"]["stringData"])
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_gatepost/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_gatepost/health"
    assert pod["securityContext"]["runAsNonRoot"] is True
    names = {d["metadata"]["name"] for d in docs} | {g["name"] for g in kustomization["configMapGenerator"]}
    refs = [e.get("configMapRef", e.get("secretRef"))["name"] for e in container["envFrom"]]
    refs += [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v]
    assert set(refs) <= names
    selector = kinds["Service"]["spec"]["selector"]
    assert selector.items() <= pod_labels(kinds["Deployment"]).items()


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return dict(deployment["spec"]["template"]["metadata"]["labels"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
def test_kustomize_builds() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert {d["kind"] for d in yaml.safe_load_all(out.stdout) if d} >= {"Deployment", "Service", "ConfigMap", "Secret"}


def interpolate(text: str, env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group("name"), m.group("op") or "", m.group("arg") or ""
        value = env.get(name)
        missing = value is None or (op.startswith(":") and value == "")
        if missing and op.endswith("?"):
            raise ValueError(f"{name}: {arg}")
        return arg if missing and op.endswith("-") else (value or "")

    return INTERPOLATION.sub(one, text)


def compose_errors(text: str) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    document = yaml.safe_load(interpolate(text, {**ENV, "GATEPOST_MASTER_KEY": "k"}))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_validates_against_the_compose_specification_schema() -> None:
    assert compose_errors((DEPLOY / "compose" / "compose.yaml").read_text()) == []


def test_the_compose_schema_check_refuses_what_compose_refuses() -> None:
    text = (DEPLOY / "compose" / "compose.yaml").read_text()
    assert any("dependz_on" in e for e in compose_errors(text.replace("depends_on: [", "dependz_on: [")))
    assert any("restart" in e for e in compose_errors(text.replace("restart: unless-stopped", "restart: [x]", 1)))
    assert compose_errors(text.replace("\nvolumes:\n", "\nvolumez:\n"))
    with pytest.raises(ValueError, match="set POSTGRES_PASSWORD"):
        interpolate(text, {})
    assert interpolate("a ${X:-d} ${Y-e} ${X-f} $$Z ${X}", {"X": ""}) == "a d e  $Z "


def test_compose_validates_where_docker_compose_is_installed(tmp_path: Path) -> None:
    exe = shutil.which("docker-compose")
    if exe is None:
        has_docker = shutil.which("docker") is not None
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True) if has_docker else None
        if probe is None or probe.returncode != 0:
            pytest.skip("docker compose is not installed here")
        cmd = ["docker", "compose"]
    else:
        cmd = [exe]
    out = subprocess.run([*cmd, "-f", str(DEPLOY / "compose" / "compose.yaml"), "config", "-q"],
                         capture_output=True, text=True, timeout=60,
                         env={**ENV, "GATEPOST_MASTER_KEY": "k", "PATH": "/usr/local/bin:/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
