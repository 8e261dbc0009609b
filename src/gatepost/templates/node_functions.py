"""Node.js functions of a template, run unchanged without Docker, as Lambda runs them: one runtime process
per function polls the Lambda Runtime API that Gatepost serves for it (runtime_api.py) and runs the handler.
The process is AWS's own runtime interface client (npm `aws-lambda-ric`) when it is installed, else
Gatepost's runner (templates/node/runner.mjs: the same protocol; async, promise or callback handlers;
CommonJS or ES modules): `client_command` is the one place that chooses. The gateway calls the function
through a Python callable standing in for it (`gatepost.templates.node_functions:fn_<id>`), so the
Lambda-proxy integration and the Lambda authorizer run it as they run a Python handler (same events,
errors, timeouts; a thrown `Error("Unauthorized")` is a 401). Calls to one function are taken one at a
time, as one Lambda execution environment takes them; the process gets Lambda's environment variables
and the function's `Environment`, not the gateway's; its output (console.log) goes to the gateway's stderr.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatepost.templates.runtime_api import FunctionError, Invocation, RuntimeApi

RUNNER = Path(__file__).resolve().parent / "node" / "runner.mjs"
MODULE = __name__
_REGISTRY: dict[str, NodeFunction] = {}
_IDS = itertools.count(1)
_CURRENT: dict[tuple[str, str, str], str] = {}  # (root, handler, name) -> the key serving it now
RETIRE_AFTER = 60.0  # seconds a replaced function's process may finish its calls
RIC = "aws-lambda-ric"  # AWS's runtime interface client for Node.js (npm)
CLIENT_ENV = "GATEPOST_NODE_RUNTIME_CLIENT"
_KEPT = ("PATH", "HOME", "LANG", "TMPDIR", "TZ")  # of the gateway's environment, what node and npx need


class NodeFunctionError(Exception):
    """The handler threw (or called back with an error): its message, as Lambda reports it."""


@dataclass(frozen=True)
class NodeSpec:
    root: str  # the code folder (Lambda's /var/task)
    handler: str  # "index.handler", "src/app.handler"
    name: str
    environment: tuple[tuple[str, str], ...] = ()
    memory_mb: int = 128
    region: str = "us-east-1"


def available() -> bool:
    return shutil.which("node") is not None


def register(spec: NodeSpec) -> str:
    """The native handler spec ("module:attr") that calls this Node function. Code that changed on disk
    (serve --watch) gets a new process; the one it replaces is stopped once its calls are done."""
    key = "fn_" + hashlib.sha1(f"{spec!r}{_code_stamp(spec.root)}".encode()).hexdigest()[:16]
    if key not in _REGISTRY:
        _REGISTRY[key] = NodeFunction(spec)
        identity = (spec.root, spec.handler, spec.name)
        replaced = _CURRENT.get(identity)
        _CURRENT[identity] = key
        if replaced is not None and replaced in _REGISTRY:
            timer = threading.Timer(RETIRE_AFTER, _REGISTRY.pop(replaced).close)
            timer.daemon = True
            timer.start()
    return f"{MODULE}:{key}"


def _code_stamp(root: str) -> int:
    """The newest modification time under the function's folder (node_modules left out)."""
    newest = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        for name in files:
            try:
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
            except OSError:
                continue
    return newest


def __getattr__(name: str) -> NodeFunction:  # load_handler's getattr(module, "fn_...")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise AttributeError(name) from None


def client_command(spec: NodeSpec) -> list[str]:
    """The runtime interface client that runs the function against our Runtime API: AWS's own (npm
    `aws-lambda-ric`) when the function's folder ships it or it is on PATH, else Gatepost's runner.mjs, which
    speaks the same protocol. `GATEPOST_NODE_RUNTIME_CLIENT=runner` (or `ric`) chooses one."""
    choice = os.environ.get(CLIENT_ENV, "")
    shipped = Path(spec.root) / "node_modules" / ".bin" / RIC
    ric = str(shipped) if shipped.is_file() else shutil.which(RIC)
    if choice == "ric" and ric is None:
        raise NodeFunctionError(f"{CLIENT_ENV}=ric but {RIC} is neither in {spec.root}/node_modules nor on PATH")
    if ric is not None and choice != "runner":
        return [ric, spec.handler]
    return ["node", str(RUNNER), spec.handler]


class NodeFunction:
    """One runtime process (Lambda's execution environment) and the Runtime API it polls; calls are taken
    one at a time, a timed-out or crashed process is replaced at the next call, as Lambda resets one."""

    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._api: RuntimeApi | None = None

    def _process(self) -> tuple[subprocess.Popen[bytes], RuntimeApi]:
        if self._proc is None or self._api is None or self._proc.poll() is not None or self._api.init_error:
            self._stop()
            api = RuntimeApi()
            self._proc = subprocess.Popen(client_command(self.spec), cwd=self.spec.root, env=self._environment(api),
                                          stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())
            self._api = api
        return self._proc, self._api

    def _environment(self, api: RuntimeApi) -> dict[str, str]:
        """Lambda's runtime environment variables, the function's own, and what node needs from ours."""
        kept = {k: v for k, v in os.environ.items() if k in _KEPT or k.startswith(("LC_", "NODE_", "npm_"))}
        return {**kept, "AWS_LAMBDA_RUNTIME_API": api.address, "_HANDLER": self.spec.handler,
                "LAMBDA_TASK_ROOT": self.spec.root, "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs",
                "AWS_LAMBDA_FUNCTION_NAME": self.spec.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb), "AWS_REGION": self.spec.region,
                "AWS_DEFAULT_REGION": self.spec.region, "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "gatepost", **dict(self.spec.environment)}

    def __call__(self, event: Any, context: Any) -> Any:
        remaining = int(context.get_remaining_time_in_millis()) if context is not None else 30_000
        arn = getattr(context, "invoked_function_arn", "") or \
            f"arn:aws:lambda:{self.spec.region}:000000000000:function:{self.spec.name}"
        invocation = Invocation(event, int(time.time() * 1000) + remaining, arn,
                                request_id=getattr(context, "aws_request_id", "") or str(uuid.uuid4()))
        with self._lock:
            proc, api = self._process()
            api.submit(invocation)
            deadline = time.monotonic() + remaining / 1000
            while not invocation.done.wait(0.05):
                if proc.poll() is not None:
                    invocation.finish(error=FunctionError("Runtime.ExitError",
                                                          f"Runtime exited with error: exit status {proc.returncode}"))
                elif time.monotonic() > deadline:
                    invocation.finish(error=FunctionError("Sandbox.Timedout",
                                                          f"Task timed out after {remaining / 1000:.2f} seconds"))
                    self._stop()  # Lambda stops a timed-out environment; the next call starts a fresh one
        if invocation.error is not None:
            raise NodeFunctionError(invocation.error.message)
        return invocation.result

    def _stop(self) -> None:
        proc, api, self._proc, self._api = self._proc, self._api, None, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
        if api is not None:
            api.close()

    def close(self) -> None:
        self._stop()  # no lock: a call stuck in its handler must not keep the gateway from exiting


@atexit.register
def _close_all() -> None:
    for function in _REGISTRY.values():
        function.close()
