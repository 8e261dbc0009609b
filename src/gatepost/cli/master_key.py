"""`gatepost master-key rotate`: seal every stored secret (IAM secret access keys, built-in pools' client
secrets and signing keys, the identity pools' signing key, sign-ins under way) with a new master key.

Stop every gateway of the deployment first: a running gateway holds the old key and could no longer open
what was re-sealed. Then:

  key file (one machine, no GATEPOST_MASTER_KEY): `gatepost master-key rotate --config gatepost.yaml`
      makes a new key (or takes GATEPOST_NEW_MASTER_KEY), writes it to master.key.next, re-seals, then
      moves master.key to master.key.previous and master.key.next to master.key (mode 0600).
  GATEPOST_MASTER_KEY (every instance has it): run with GATEPOST_MASTER_KEY=old and
      GATEPOST_NEW_MASTER_KEY=new, then give every instance GATEPOST_MASTER_KEY=new.

Nothing is written unless every secret opens with the current key (or already with the new one: running
the verb again finishes a rotation that stopped half-way). `--dry-run` only counts.
Keep the previous key with the catalog backups made before the rotation: they need it.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path

from gatepost.cli.common import add_verb, open_from_args, verb_group

NEW_ENV = "GATEPOST_NEW_MASTER_KEY"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verbs = verb_group(sub, "master-key", "rotate the master key that seals stored secrets", __doc__)
    rotate = add_verb(verbs, "rotate", "re-seal every stored secret with a new master key", run_rotate)
    rotate.description, rotate.formatter_class = __doc__, argparse.RawDescriptionHelpFormatter
    rotate.add_argument("--dry-run", action="store_true", help="count what would be re-sealed; write nothing")


def _fail(message: str) -> int:
    print(f"gatepost master-key: {message}", file=sys.stderr)
    return 1


def _write_new_key(path: Path, key: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")


def run_rotate(args: argparse.Namespace) -> int:
    from gatepost.iam.crypto import ENV_VAR, SecretBox, key_file_for, key_from_text
    from gatepost.master_key import apply, plan

    ctx = open_from_args(args)
    try:
        given = os.environ.get(NEW_ENV)
        key_file = None if os.environ.get(ENV_VAR) else key_file_for(ctx.catalog, ctx.config_dir)
        if key_file is None and not given:
            return _fail(f"{ENV_VAR} is set: give the new key in {NEW_ENV} (e.g. `openssl rand -base64 32`)")
        if key_file is not None and not key_file.exists():
            return _fail(f"no master key yet ({ENV_VAR} is unset and {key_file} does not exist): nothing is sealed")
        current = key_from_text(key_file.read_text() if key_file is not None else os.environ[ENV_VAR])
        next_file = key_file.with_name(key_file.name + ".next") if key_file is not None else None
        if given:
            new_key = key_from_text(given)
        elif next_file is not None and next_file.exists():  # a rotation that stopped half-way
            new_key = key_from_text(next_file.read_text())
        else:
            new_key = os.urandom(32)
        if new_key == current:
            return _fail("the new key is the current key")
        old, new = SecretBox(current), SecretBox(new_key)
        found = plan(ctx.catalog, old, new)
        if found.unreadable:
            for sealed in found.unreadable:
                print(f"  {sealed.where()}: opens with neither the current nor the new key", file=sys.stderr)
            return _fail(f"{len(found.unreadable)} secret(s) cannot be opened; nothing was written")
        counts = ", ".join(f"{c} {n}" for c, n in sorted(found.counts().items())) or "none"
        if args.dry_run:
            print(f"would re-seal {len(found.todo)} secret(s) ({counts}); {len(found.done)} already under the new key")
            return 0
        if next_file is not None and not next_file.exists():
            _write_new_key(next_file, new_key)  # first: a crash from here on can be resumed with the same key
        written = apply(ctx.catalog, found.todo, new)
        print(f"re-sealed {written} secret(s) ({counts}); {len(found.done)} already under the new key")
        if key_file is not None and next_file is not None:
            os.replace(key_file, key_file.with_name(key_file.name + ".previous"))
            os.replace(next_file, key_file)
            print(f"{key_file}: the new key ({key_file.name}.previous: the old one, for older backups)")
        else:
            print(f"now give every instance {ENV_VAR}=<the new key>, then start the gateways")
        return 0
    finally:
        ctx.catalog.close()
