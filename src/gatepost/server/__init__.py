"""The server under the pipeline: the native HTTP/1.1 engine (native.py, listener.py) handing requests to
GatewayApp (app.py), with its limits and deadlines (limits.py, deadlines.py), run by run.py."""
