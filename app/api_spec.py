"""The OpenAPI document of /api/v1, kept beside the routes; a test checks every route is in it."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _answers(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    words = {400: "Bad request", 401: "No valid session token", 404: "Not found"}
    out: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for code in codes:
        out[str(code)] = {"description": words[code], "content": {"application/json": {"schema": ERROR}}}
    return out


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


QA = {"type": "object", "required": ["q", "a"],
      "properties": {"q": {"type": "string", "maxLength": 200}, "a": {"type": "string", "maxLength": 2000}}}
QA_LIST = {"type": "array", "maxItems": 10, "items": QA}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Postventa API", "version": "1",
             "description": "The embedded admin's API. Every call carries a Shopify App Bridge session token."},
    "components": {
        "securitySchemes": {"sessionToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}},
    },
    "security": [{"sessionToken": []}],
    "paths": {
        "/api/v1/shop": {"get": {
            "summary": "The shop's status: orders, shipments on their way, emails, delays, engagement, backfill",
            "responses": _answers({"type": "object"}, 401, 404)}},
        "/api/v1/settings/carrier-priority": {"put": {
            "summary": "The carriers the store ships with, most used first; they decide ambiguous numbers",
            "requestBody": _body({"type": "object", "required": ["carriers"], "properties": {
                "carriers": {"type": "array", "maxItems": 50, "items": {"type": "string"}}}}),
            "responses": _answers({"type": "object", "properties": {
                "carriers": {"type": "array", "items": {"type": "string"}}}}, 400, 401, 404)}},
        "/api/v1/settings/faq": {"put": {
            "summary": "Questions and answers on the tracking page, per language",
            "requestBody": _body({"type": "object", "properties": {"es": QA_LIST, "en": QA_LIST},
                                  "additionalProperties": False}),
            "responses": _answers({"type": "object", "properties": {"faq": {"type": "object"}}}, 400, 401, 404)}},
        "/api/v1/shipments/{shipment_id}/carrier": {"put": {
            "summary": "Correct a shipment's carrier; its tracking link follows",
            "parameters": [{"name": "shipment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": _body({"type": "object", "required": ["carrier"],
                                  "properties": {"carrier": {"type": "string"}}}),
            "responses": _answers({"type": "object", "properties": {
                "id": {"type": "integer"}, "carrier": {"type": "string"}, "carrier_code": {"type": "string"},
                "tracking_url": {"type": ["string", "null"]}}}, 400, 401, 404)}},
        "/api/v1/shipments/{shipment_id}/events": {"post": {
            "summary": "Add the merchant's own tracking update; the same rules and emails as a carrier's",
            "parameters": [{"name": "shipment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": _body({"type": "object", "required": ["status"], "properties": {
                "status": {"enum": ["pending", "info_received", "in_transit", "out_for_delivery", "attempt_fail",
                                    "available_for_pickup", "delivered", "exception", "expired"]},
                "message": {"type": "string", "maxLength": 500}, "location": {"type": "string", "maxLength": 255},
                "occurred_at": {"type": "string", "format": "date-time"}}}),
            "responses": _answers({"type": "object", "properties": {
                "id": {"type": "integer"}, "status": {"type": "string"}}}, 400, 401, 404)}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                         "responses": _answers({"type": "object"})}},
    },
}
