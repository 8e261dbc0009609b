"""Node.js functions of a template, run unchanged without Docker: one `node` process per function runs
its handler (templates/node/runner.mjs: async, promise or callback handlers; CommonJS or ES modules) and
answers one JSON line per event. The gateway calls it through a Python callable standing in for the
function (`gatepost.templates.node_functions:fn_<id>`), so the Lambda-proxy integration and the Lambda
authorizer run it as they run a Python handler (same events, errors, timeouts; a thrown
`Error("Unauthorized")` is a 401). Calls to one function are taken one at a time, as one Lambda
execution environment takes them; the function's `Environment` is its process's own.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).resolve().parent / "node" / "runner.mjs"
MODULE = __name__
_REGISTRY: dict[str, NodeFunction] = {}
_IDS = itertools.count(1)
_CURRENT: dict[tuple[str, str, str], str] = {}  # (root, handler, name) -> the key serving it now
RETIRE_AFTER = 60.0  # seconds a replaced function's process may finish its calls


class NodeFunctionError(Exception):
    """The handler threw (or called back with an error): its message, as Lambda reports it."""


@dataclass(frozen=True)
class NodeSpec:
    root: str  # the code folder (Lambda's /var/task)
    handler: str  # "index.handler", "src/app.handler"
    name: str
    environment: tuple[tuple[str, str], ...] = ()


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


class NodeFunction:
    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def _process(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            env = {**os.environ, **dict(self.spec.environment), "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
                   "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs", "LAMBDA_TASK_ROOT": self.spec.root}
            self._proc = subprocess.Popen(["node", str(RUNNER), self.spec.root, self.spec.handler],
                                          cwd=self.spec.root, env=env, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True, bufsize=1)
        return self._proc

    def __call__(self, event: Any, context: Any) -> Any:
        remaining = int(context.get_remaining_time_in_millis()) if context is not None else 30_000
        ctx = {"functionName": self.spec.name, "awsRequestId": getattr(context, "aws_request_id", ""),
               "invokedFunctionArn": getattr(context, "invoked_function_arn", ""), "remainingMs": remaining,
               "memoryLimitInMB": str(getattr(context, "memory_limit_in_mb", 128))}
        request_id = next(_IDS)
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps({"id": request_id, "event": event, "context": ctx}) + "\n")
            proc.stdin.flush()
            while True:  # answers of calls that timed out earlier are skipped
                line = proc.stdout.readline()
                if not line:
                    self._proc = None
                    raise NodeFunctionError(f"node process for {self.spec.name} exited")
                answer = json.loads(line)
                if answer.get("id") == request_id:
                    break
        if "error" in answer:
            raise NodeFunctionError(str(answer["error"].get("errorMessage", "")))
        return answer.get("result")

    def close(self) -> None:
        proc = self._proc  # no lock: a call stuck in its handler must not keep the gateway from exiting
        if proc is not None and proc.poll() is None:
            proc.terminate()


@atexit.register
def _close_all() -> None:
    for function in _REGISTRY.values():
        function.close()
