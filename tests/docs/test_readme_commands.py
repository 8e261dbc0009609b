"""The README's demo commands, pasted one by one into a new shell, exactly as printed, against the example
started as the README says (`bash scripts/demo.sh`, which says what it does at each step and reaches its
first 200), and a second start (`gatepost serve`) saying how to get the demo credentials again.

The commands name fixed ports (8080, and the example's sidecars on 9000 and 9100). Where the kernel
allows it, everything runs in its own network namespace (`unshare -rn`), so those ports are private to
this test and the commands run byte for byte; elsewhere the ports are moved to free ones, in the copied
config and in the commands alike, and nothing else changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import REPO, free_port

README = REPO / "README.md"
MARKER = "@@@ command "


def readme_commands() -> list[str]:
    """The shell block after "Then, in another terminal", one command per entry (continuations joined)."""
    text = README.read_text()
    start = text.index("```sh\n", text.index("in another terminal")) + len("```sh\n")
    block = text[start:text.index("```", start)]
    commands: list[str] = []
    pending = ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if not line.rstrip().endswith("\\"):
            commands.append(pending)
            pending = ""
    return commands


def private_network() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True, timeout=30)
    return probe.returncode == 0


DRIVER = """set -u
{network}
ready() {{
  for i in $(seq 1 1200); do curl -s -o /dev/null {base}/_gatepost/ready && return 0; sleep 0.1; done
  echo "the gateway did not start" >> "$1"
}}
bash scripts/demo.sh {port_arg} > first-start.log 2>&1 &
DEMO=$!
ready first-start.log
for i in $(seq 1 300); do grep -q "demo: ready in" first-start.log && break; sleep 0.1; done
env -i HOME="$HOME" PATH="$PATH" LANG=C.UTF-8 bash --norc --noprofile readme.sh > readme.out 2> readme.err
kill -TERM $DEMO; wait $DEMO
.venv/bin/gatepost serve examples/payments/gatepost.yaml {port_arg} > second-start.log 2>&1 &
GW=$!
ready second-start.log
kill -TERM $GW; wait $GW
"""


@pytest.mark.timeout(600)  # the shell's own bound below: two gateway starts and a process per pasted command
def test_readme_commands_work_pasted_into_a_new_shell(tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) >= 15 and commands[0] == "B=http://127.0.0.1:8080\n"
    checkout = tmp_path / "gatepost"
    shutil.copytree(REPO / "examples" / "payments", checkout / "examples" / "payments",
                    ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    (checkout / ".venv").symlink_to(REPO / ".venv")
    shutil.copytree(REPO / "scripts", checkout / "scripts")
    shutil.copy2(REPO / "pyproject.toml", checkout / "pyproject.toml")

    isolated = private_network()
    ports = {"8080": "8080", "9000": "9000", "9100": "9100"}
    if not isolated:
        ports = {old: str(free_port()) for old in ports}
        config = checkout / "examples" / "payments" / "gatepost.yaml"
        config.write_text(re.sub(r"\b(8080|9000|9100)\b", lambda m: ports[m.group(1)], config.read_text()))
        commands = [re.sub(r"127\.0\.0\.1:(8080|9100)\b", lambda m: f"127.0.0.1:{ports[m.group(1)]}", c)
                    for c in commands]
    script = "".join(f"{command}echo; echo '{MARKER}{i}'\n" for i, command in enumerate(commands))
    (checkout / "readme.sh").write_text(script)
    driver = DRIVER.format(network="ip link set lo up" if isolated else "",
                           base=f"http://127.0.0.1:{ports['8080']}",
                           port_arg="" if isolated else f"--port {ports['8080']}")
    (checkout / "drive.sh").write_text(driver)
    run = ["unshare", "-rn", "bash", "drive.sh"] if isolated else ["bash", "drive.sh"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ALICE_", "GATEPOST_"))}
    done = subprocess.run(run, cwd=checkout, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr

    first = (checkout / "first-start.log").read_text()
    assert "gatepost: serving payments" in first, first
    steps = [line for line in first.splitlines() if line.startswith("demo: ")]
    assert steps[0] == "demo: 1/3 install: .venv already has gatepost (bash scripts/setup.sh reinstalls)"
    assert steps[1].startswith("demo: 2/3 start: gatepost serve examples/payments/gatepost.yaml")
    assert f"demo: 3/3 first request: GET http://127.0.0.1:{ports['8080']}/health" in steps
    assert 'demo: HTTP 200 {"status": "ok"}' in steps
    assert re.fullmatch(r"demo: ready in \d+ s\. Try the callers: .*", steps[-1]), steps
    assert "shown only this once" in first  # the first start's demo credentials
    output = (checkout / "readme.out").read_text()
    errors = (checkout / "readme.err").read_text()  # curl's progress meter when not on a terminal, and errors
    segments = output.split(MARKER)  # segment i: the number of marker i-1, then what command i printed
    assert [int(s.split("\n", 1)[0]) for s in segments[1:]] == list(range(len(commands))), output
    answers = [segments[0].strip()] + [s.split("\n", 1)[1].strip() for s in segments[1:-1]]
    said = {command.split("  #")[0].strip(): answer for command, answer in zip(commands, answers, strict=True)}

    def answer(start: str) -> str:
        found = [text for command, text in said.items() if command.startswith(start)]
        assert len(found) == 1, (start, list(said))
        return found[0]

    assert answer("curl -i $B/health").startswith("HTTP/1.1 200")
    assert answer("curl -i $B/nowhere").startswith("HTTP/1.1 403")
    assert '"message":"Missing Authentication Token"' in answer("curl -i $B/nowhere")
    assert answer(".venv/bin/gatepost users set-password alice") == "user alice: password set, CONFIRMED"
    assert answer("TOKEN=$(") == ""
    def upstream(command: str, path: str, authorizer: str) -> dict[str, str]:
        """The demo upstream's echo: the request reached it through `authorizer`; its identity headers."""
        seen = json.loads(answer(command))
        assert (seen["service"], seen["path"]) == ("payments-demo", path), seen
        assert seen["identity"]["x-gatepost-authorizer"] == authorizer, seen
        return dict(seen["identity"])

    me = upstream('curl -s $B/me -H "Authorization: Bearer $TOKEN"', "/me", "mobile")
    assert "profile.read" in me["x-gatepost-scopes"].split()
    assert answer("curl -i $B/me/admin").startswith("HTTP/1.1 403")
    upstream("curl -s -X POST $B/partners/acme/transactions", "/partners/acme/transactions", "partners")
    assert answer("curl -i -X POST $B/partners/globex/transactions").startswith("HTTP/1.1 403")
    assert answer('eval "$(.venv/bin/gatepost iam assume-role') == ""
    internal = upstream('curl -s --aws-sigv4 "aws:amz:us-east-1:execute-api"', "/internal/refresh", "internal")
    assert "gatepost-demo-internal" in json.dumps(internal)
    assert answer("BANK=$(") == ""
    upstream("curl -s -X POST $B/b2b/settlements", "/b2b/settlements", "bank")
    assert "GET /me" in answer(".venv/bin/gatepost explain examples/payments/gatepost.yaml")
    assert "Traceback" not in output + errors
    assert "gatepost" not in errors, errors  # no CLI complained

    second = (checkout / "second-start.log").read_text()
    assert "gatepost: serving payments" in second, second
    assert "shown only this once" not in second  # nothing is created twice
    assert "demo API key 'demo-partner' exists" in second and "DemoPartnerAcme4f9c2b7e1d" in second
    assert "iam assume-role gatepost-demo-internal --session-name me --format env" in second
    assert "users set-password alice --pool mobile --password-stdin" in second
