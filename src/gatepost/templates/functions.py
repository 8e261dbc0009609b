"""`AWS::Lambda::Function` resources (SAM's functions after the transform) -> handlers the gateway runs.

Python runtimes in-process, Node.js runtimes through `node` (node_functions.py), from a local folder:
SAM's `CodeUri` (mapped back from the transform's placeholder), a CDK asset folder (`Metadata:
aws:asset:path`, as SAM CLI reads it) or inline `Code.ZipFile`. The handler `app.lambda_handler` in folder
`src/` becomes the native spec `src/app:lambda_handler` (the folder is the code root, as /var/task on
Lambda). `Timeout` bounds each call; `Environment.Variables` go to the Lambda integration and are set in
the gateway's process for authorizers, where in-process functions share one environment (two Python
functions setting one variable differently are refused; a Node.js function's are its process's own).
Other runtimes and container images are refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatepost.templates import identities, node_functions
from gatepost.templates.intrinsics import Resolver, included
from gatepost.templates.sam import local_folder

FUNCTION = "AWS::Lambda::Function"
DEFAULT_TIMEOUT = 3  # seconds, Lambda's default
ASSET_PATH = "aws:asset:path"
INLINE_FOLDER = ".gatepost/inline"


@dataclass
class Function:
    logical_id: str
    arn: str
    name: str
    handler: str | None = None  # the native "FOLDER/module:attr", None when refused
    refused: str = ""  # why it cannot run here, with the fix
    runtime: str = "python"  # python | nodejs
    timeout_ms: int = DEFAULT_TIMEOUT * 1000
    memory_mb: int = 128
    environment: dict[str, str] = field(default_factory=dict)


def collect(resolver: Resolver, template_dir: Path, local_code: Mapping[str, str]) -> dict[str, Function]:
    """logical id -> Function, for every Lambda function the template declares."""
    out: dict[str, Function] = {}
    for logical_id, resource in resolver.resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") != FUNCTION:
            continue
        loc = ("Resources", logical_id)
        if not included(resource, resolver, loc):
            continue
        name = identities.name_of(logical_id, resource)
        fn = Function(logical_id, identities.function_arn(name, resolver.params.pseudo), name)
        props = resolver.resolve(resource.get("Properties") or {}, (*loc, "Properties"))
        _runtime(fn, props, resource, template_dir, local_code)
        fn.timeout_ms = int(props.get("Timeout", DEFAULT_TIMEOUT)) * 1000
        fn.memory_mb = int(props.get("MemorySize", 128))
        fn.environment = _variables(props)
        out[logical_id] = fn
    return out


def _runtime(fn: Function, props: Mapping[str, Any], resource: Mapping[str, Any], template_dir: Path,
             local_code: Mapping[str, str]) -> None:
    runtime = str(props.get("Runtime", ""))
    if props.get("PackageType") == "Image" or "ImageUri" in (props.get("Code") or {}):
        fn.refused = "a container-image function: Gatepost runs Python and Node.js functions without Docker; " \
                     "serve it behind an HTTP integration instead"
        return
    node = runtime.startswith("nodejs")
    if not runtime.startswith("python") and not node:
        fn.refused = f"runtime {runtime or '(none)'} is not run here (Python in-process, Node.js with `node`); " \
                     "serve it behind an HTTP integration instead"
        return
    if node and not node_functions.available():
        fn.refused = f"runtime {runtime} needs `node` on PATH (apt-get install nodejs)"
        return
    handler = str(props.get("Handler", ""))
    module, dot, attr = handler.rpartition(".")
    if not dot or not module or not attr:
        fn.refused = f"Handler {handler!r} is not module.function"
        return
    folder = _folder(fn, props, resource, template_dir, local_code, ".js" if node else ".py")
    if folder is None:
        return
    if node:
        root = str((template_dir / folder).resolve())
        fn.handler = node_functions.register(node_functions.NodeSpec(
            root, handler, fn.name, tuple(sorted(_variables(props).items())), int(props.get("MemorySize", 128)),
            fn.arn.split(":")[3]))
        fn.runtime = "nodejs"
    else:
        fn.handler = f"{folder}/{module.replace('/', '.')}:{attr}"


def _variables(props: Mapping[str, Any]) -> dict[str, str]:
    variables = (props.get("Environment") or {}).get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def _folder(fn: Function, props: Mapping[str, Any], resource: Mapping[str, Any], template_dir: Path,
            local_code: Mapping[str, str], suffix: str) -> str | None:
    code = props.get("Code") or {}
    found = local_folder(code, local_code)
    metadata = resource.get("Metadata") or {}
    if found is None and isinstance(metadata, Mapping) and isinstance(metadata.get(ASSET_PATH), str):
        # absolute: `gatepost serve cdk.out` reads the template inside the folder it names
        found = str((template_dir / str(metadata[ASSET_PATH])).resolve())
    if found is None and isinstance(code, str) and "://" not in code:  # `Code: ./folder`, as `aws cloudformation
        found = code  # package` reads it before uploading
    if found is None and isinstance(code, Mapping) and isinstance(code.get("ZipFile"), str):
        found = _write_inline(fn, str(code["ZipFile"]), str(props.get("Handler", "index.handler")), template_dir,
                              suffix)
    if found is None:
        fn.refused = "its code is not in a local folder (S3 or none): give the function a local CodeUri " \
                     "(SAM) or run it from a CDK cdk.out folder"
        return None
    path = template_dir / found
    if not path.is_dir():
        fn.refused = f"its code folder {path} does not exist (CodeUri is relative to the template)"
        return None
    return found.rstrip("/") or "."


def _write_inline(fn: Function, source: str, handler: str, template_dir: Path, suffix: str) -> str:
    """Inline `ZipFile` code is written to .gatepost/inline/<LogicalId>/<module>.py (.js) next to the template."""
    folder = Path(INLINE_FOLDER) / fn.logical_id
    module = handler.rpartition(".")[0] or "index"
    target = template_dir / folder / f"{module.replace('.', '/')}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text(encoding="utf-8") != source:
        target.write_text(source, encoding="utf-8")
    return str(folder)
