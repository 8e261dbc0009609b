"""An app as AWS users write it with Lambda Powertools (nothing Gatepost-specific): the same routes on
APIGatewayRestResolver (REST, payload 1.0) and APIGatewayHttpResolver (HTTP API, payload 2.0), reading
path parameters, query strings, the JSON body and the authorizer's data through Powertools' accessors."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

rest_app = APIGatewayRestResolver()
http_app = APIGatewayHttpResolver()


def _routes(app: Any, flavour: str) -> None:
    @app.get("/orders/<order_id>")
    @app.get("/partner/orders/<order_id>")
    def get_order(order_id: str) -> dict[str, Any]:
        event = app.current_event
        if order_id == "missing":
            raise NotFoundError(f"order {order_id}")
        return {"order_id": order_id, "expand": event.get_query_string_value("expand", default_value=None),
                "caller": _caller(event, flavour), "path": event.path}

    @app.post("/orders")
    def create_order() -> Response:
        body = app.current_event.json_body
        return Response(status_code=201, content_type="application/json",
                        body={"created": body["item"], "qty": body.get("qty", 1)},
                        headers={"location": f"/orders/{body['item']}"})


def _caller(event: Any, flavour: str) -> dict[str, Any]:
    authorizer = event.request_context.authorizer
    if flavour == "rest":  # APIGatewayEventAuthorizer: claims (user pools) or principalId + context (Lambda)
        return {"claims": authorizer.claims, "principal_id": authorizer.principal_id,
                "tenant": authorizer.get("tenantId"), "scopes": authorizer.scopes}
    return {"jwt_claims": authorizer.jwt_claim, "jwt_scopes": authorizer.jwt_scopes,
            "lambda": authorizer.get_lambda}


_routes(rest_app, "rest")
_routes(http_app, "http")


def rest_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return rest_app.resolve(event, context)


def http_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return http_app.resolve(event, context)
