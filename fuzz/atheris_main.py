"""A libFuzzer process for one target: `python -m fuzz.atheris_main TARGET [libFuzzer flags...]`. Gatepost's
modules are imported under atheris's instrumentation, so coverage guides the inputs."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["gatepost", "fuzz"]):
    from fuzz.targets import load

    target = load(sys.argv[1])


def main() -> None:
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
