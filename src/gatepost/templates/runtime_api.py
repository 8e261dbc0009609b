"""The Lambda Runtime API (version 2018-06-01), served on 127.0.0.1 for one function's runtime process, as
AWS documents it for custom runtimes and runtime interface clients (npm `aws-lambda-ric`, our runner.mjs):

- `GET  /2018-06-01/runtime/invocation/next`: blocks until an invocation; its event as the body, and the
  headers `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn`, `-Trace-Id`
  (`-Client-Context`, `-Cognito-Identity` when there are);
- `POST /2018-06-01/runtime/invocation/{AwsRequestId}/response`: the function's result, `202`;
- `POST /2018-06-01/runtime/invocation/{AwsRequestId}/error`: `{errorMessage, errorType, stackTrace}`, `202`;
- `POST /2018-06-01/runtime/init/error`: the runtime could not load the handler, `202`; the invocation
  waiting on it fails with that error.

An unknown request id is `400 InvalidRequestID`, a response over 6 MB `413 RequestEntityTooLarge`, an unknown
path `404`. One server belongs to one runtime process (AWS: one execution environment) and is closed with it.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
_CLOSED = object()


class FunctionError(Exception):
    """The function failed: the `errorType` and `errorMessage` its runtime reported."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass
class Invocation:
    event: Any
    deadline_ms: int  # epoch milliseconds
    function_arn: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str = ""
    client_context: str | None = None
    cognito_identity: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: FunctionError | None = None

    def finish(self, result: Any = None, error: FunctionError | None = None) -> None:
        if not self.done.is_set():
            self.result, self.error = result, error
            self.done.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a runtime process that went away mid-request (stopped, crashed): its exit is what counts


class RuntimeApi:
    """The Runtime API of one runtime process: `address` goes into its `AWS_LAMBDA_RUNTIME_API`."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._inflight: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self.init_error: FunctionError | None = None
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-runtime-api", daemon=True)
        self._thread.start()

    def submit(self, invocation: Invocation) -> None:
        with self._lock:
            if self.init_error is not None:
                invocation.finish(error=self.init_error)
                return
            self._inflight[invocation.request_id] = invocation
        self._queue.put(invocation)

    def next_invocation(self) -> Invocation | None:
        item = self._queue.get()
        if item is _CLOSED:
            self._queue.put(_CLOSED)  # every other waiting `next` is released too
            return None
        assert isinstance(item, Invocation)
        return item

    def complete(self, request_id: str, result: Any = None, error: FunctionError | None = None) -> bool:
        with self._lock:
            invocation = self._inflight.pop(request_id, None)
        if invocation is None:
            return False
        invocation.finish(result, error)
        return True

    def fail_init(self, error: FunctionError) -> None:
        with self._lock:
            self.init_error = error
            waiting, self._inflight = list(self._inflight.values()), {}
        for invocation in waiting:
            invocation.finish(error=error)

    def close(self) -> None:
        self._queue.put(_CLOSED)
        self.fail_init(FunctionError("Runtime.ExitError", "the runtime process was stopped"))
        self._server.shutdown()
        self._server.server_close()


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the client keeps one connection for next/response

        def log_message(self, format: str, *args: Any) -> None:
            return  # the function's own output is its log; the protocol is not

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                return self._answer(404, {"errorType": "NotFound", "errorMessage": self.path})
            invocation = api.next_invocation()
            if invocation is None:
                return self._answer(500, {"errorType": "Runtime.ExitError", "errorMessage": "shutting down"})
            headers = {"Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                       "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                       "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                       "Lambda-Runtime-Trace-Id": invocation.trace_id}
            if invocation.client_context is not None:
                headers["Lambda-Runtime-Client-Context"] = invocation.client_context
            if invocation.cognito_identity is not None:
                headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognito_identity
            self._answer(200, invocation.event, headers)

        def do_POST(self) -> None:
            body = self._body()
            if body is None:
                return self._answer(413, {"errorType": "RequestEntityTooLarge",
                                          "errorMessage": f"a response is at most {MAX_RESPONSE_BYTES} bytes"})
            if self.path == f"{PREFIX}/init/error":
                api.fail_init(_error(body, self.headers.get("Lambda-Runtime-Function-Error-Type")))
                return self._answer(202, {"status": "OK"})
            parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
            if not self.path.startswith(f"{PREFIX}/invocation/") or len(parts) != 2 or \
                    parts[1] not in ("response", "error"):
                return self._answer(404, {"errorType": "NotFound", "errorMessage": self.path})
            request_id, what = parts
            if what == "response":
                done = api.complete(request_id, result=_result(body))
            else:
                done = api.complete(request_id, error=_error(body, self.headers.get(
                    "Lambda-Runtime-Function-Error-Type")))
            if not done:
                return self._answer(400, {"errorType": "InvalidRequestID",
                                          "errorMessage": f"no invocation {request_id} is waiting for an answer"})
            self._answer(202, {"status": "OK"})

        def _body(self) -> bytes | None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._chunked()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_RESPONSE_BYTES:
                self.rfile.read(length)
                return None
            return self.rfile.read(length)

        def _chunked(self) -> bytes | None:
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(data) if len(data) <= MAX_RESPONSE_BYTES else None
                data += self.rfile.read(size)
                self.rfile.readline()

        def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:  # the runtime process went away (stopped, crashed): the caller sees its exit
                self.close_connection = True

    return Handler


def _result(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")


def _error(body: bytes, header_type: str | None) -> FunctionError:
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    error_type = str(doc.get("errorType") or header_type or "Runtime.Unknown")
    return FunctionError(error_type, str(doc.get("errorMessage") or ""))
