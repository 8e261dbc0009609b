"""An authorizer running as its own HTTP service in another process: the gateway POSTs the event.

Run: python http_service.py --port N. Answers by token: "allow-*" -> 200 policy; "deny-me" -> 401;
"boom" -> 500; "garbage" -> 200 with a non-JSON body; "slow" -> answers after 2 s. GET /calls -> count.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web

CALLS = {"n": 0}


async def authorize(request: web.Request) -> web.Response:
    CALLS["n"] += 1
    event = await request.json()
    token = event.get("authorizationToken", "")
    if token == "deny-me":
        return web.Response(status=401, text="Unauthorized")
    if token == "boom":
        return web.Response(status=500, text="internal error")
    if token == "garbage":
        return web.Response(status=200, text="<html>not json</html>")
    if token == "slow":
        await asyncio.sleep(2.0)
    stage_arn = "/".join(event["methodArn"].split("/", 2)[:2])
    return web.json_response({
        "principalId": "svc|" + token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage_arn + "/GET/*"}]},
        "context": {"via": "http-service", "eventType": event["type"]},
    })


async def calls(request: web.Request) -> web.Response:
    return web.Response(text=json.dumps(CALLS))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_post("/authorize", authorize)
    app.router.add_get("/calls", calls)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
