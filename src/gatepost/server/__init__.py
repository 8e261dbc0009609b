"""The server under the pipeline: a raw ASGI app (app.py) run by uvicorn (run.py)."""
