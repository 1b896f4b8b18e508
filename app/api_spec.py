"""The OpenAPI document of /api/v1, kept beside the routes; a test checks every route is in it."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _answers(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    words = {400: "Bad request", 401: "No valid session token", 404: "Not found",
             409: "Not possible where the return stands"}
    out: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for code in codes:
        out[str(code)] = {"description": words[code], "content": {"application/json": {"schema": ERROR}}}
    return out


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


QA = {"type": "object", "required": ["q", "a"],
      "properties": {"q": {"type": "string", "maxLength": 200}, "a": {"type": "string", "maxLength": 2000}}}
QA_LIST = {"type": "array", "maxItems": 10, "items": QA}
WORDS = {"type": "array", "items": {"type": "string"}}
RETURN_ID = {"name": "return_id", "in": "path", "required": True, "schema": {"type": "integer"}}
RETURN = {"type": "object", "properties": {
    "id": {"type": "integer"}, "rma": {"type": ["string", "null"]}, "status": {"type": "string"},
    "outcome": {"type": ["string", "null"]}, "label": {"type": "object"}, "resolution": {"type": "object"},
    "platform_sync": {"type": "object"}, "timeline": {"type": "array"}}}

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
        "/api/v1/returns": {"get": {
            "summary": "The shop's returns, newest first (?status=requested: the queue waiting for a decision)",
            "parameters": [{"name": "status", "in": "query", "required": False, "schema": {"type": "string"}}],
            "responses": _answers({"type": "object", "properties": {
                "returns": {"type": "array", "items": RETURN}}}, 400, 401, 404)}},
        "/api/v1/returns/{return_id}": {"get": {
            "summary": "One return: lines, photos, label, refund / credit / exchange result and any platform error",
            "parameters": [RETURN_ID], "responses": _answers(RETURN, 401, 404)}},
        "/api/v1/returns/{return_id}/{action}": {"post": {
            "summary": "approve | reject (with a note for the shopper) | receive | close (refund, credit or exchange "
                       "on the platform, once) | retry (failed label or platform work, same idempotency keys)",
            "parameters": [RETURN_ID, {"name": "action", "in": "path", "required": True, "schema": {
                "enum": ["approve", "reject", "receive", "close", "retry"]}}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}}}}}},
            "responses": _answers(RETURN, 401, 404, 409)}},
        "/api/v1/returns/{return_id}/photos/{photo_id}": {"get": {
            "summary": "A photo the shopper attached (JPEG)",
            "parameters": [RETURN_ID, {"name": "photo_id", "in": "path", "required": True,
                                       "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "OK", "content": {"image/jpeg": {}}},
                          "401": {"description": "No valid session token"}, "404": {"description": "Not found"}}}},
        "/api/v1/settings/returns": {"put": {
            "summary": "Return rules: window, outcomes, reasons, non-returnable tags / SKUs / collections, final-sale "
                       "order tags, auto-approval, the policy text per language, the store's return address",
            "requestBody": _body({"type": "object", "additionalProperties": False, "properties": {
                "enabled": {"type": "boolean"}, "window_days": {"type": "integer", "minimum": 0, "maximum": 365},
                "outcomes": {"type": "array", "items": {"enum": ["refund", "store_credit", "exchange"]}},
                "reasons": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["code", "labels"],
                            "properties": {"code": {"type": "string"}, "labels": {"type": "object"},
                                           "requires_photo": {"type": "boolean"}}}},
                "non_returnable_tags": WORDS, "non_returnable_skus": WORDS, "non_returnable_collections": WORDS,
                "final_sale_order_tags": WORDS, "max_returns_per_order": {"type": "integer", "minimum": 1},
                "auto_approve": {"type": "boolean"}, "auto_approve_max": {"type": ["string", "number", "null"]},
                "text": {"type": "object", "properties": {"es": {"type": "string"}, "en": {"type": "string"}}},
                "return_address": {"type": "object", "required": ["line1", "city", "postal_code", "country_code"]}}}),
            "responses": _answers({"type": "object", "properties": {"returns": {"type": "object"}}}, 400, 401, 404)}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                         "responses": _answers({"type": "object"})}},
    },
}
