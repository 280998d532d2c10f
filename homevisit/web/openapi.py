"""The OpenAPI 3.1 document of the JSON API, generated from the data dictionary so it cannot drift."""

from __future__ import annotations

import functools
from typing import Any

from homevisit.domain.dictionary import (
    BOOL,
    CARER_FIELDS,
    CHILD_FIELDS,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INJURY_FIELDS,
    INT,
    MULTI,
    REFERRAL_DECISIONS,
    REFERRAL_FIELDS,
    REFERRAL_METHODS,
    REFERRAL_RESPONSE_KINDS,
    STRATEGY_AGENCIES,
    STRATEGY_DECISIONS,
    STRATEGY_FIELDS,
    VISIT_FIELDS,
    Field,
)


def _schema(f: Field) -> dict[str, Any]:
    nullable = not f.required
    if f.kind == BOOL:
        s: dict[str, Any] = {"type": ["boolean", "null"] if nullable else "boolean"}
    elif f.kind == CHOICE:
        s = {"enum": f.values + ([None] if nullable else [])}
    elif f.kind == MULTI:
        s = {"type": ["array", "null"], "items": {"enum": f.values}, "uniqueItems": True}
    elif f.kind in (INT, DECIMAL):
        s = {"type": [("integer" if f.kind == INT else "number")] + (["null"] if nullable else [])}
        if f.minimum is not None:
            s["minimum"] = f.minimum
            s["maximum"] = f.maximum
    elif f.kind == DATE:
        s = {"type": ["string", "null"] if nullable else "string", "format": "date"}
    elif f.kind == DATETIME:
        s = {"type": ["string", "null"] if nullable else "string", "format": "date-time"}
    else:
        s = {"type": ["string", "null"] if nullable else "string", "maxLength": f.max_length}
    s["description"] = f.question + (f" ({f.hint})" if f.hint else "") + (f" Unit: {f.unit}." if f.unit else "")
    return s


def _object(fields: tuple[Field, ...], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {f.name: _schema(f) for f in fields}
    props.update(extra or {})
    return {"type": "object", "properties": props, "required": [f.name for f in fields if f.required]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


ERRORS = {"401": _problem("No valid token"), "404": _problem("Not found (or another team's record)")}


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    uuid_param = {"in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    visit = _object(VISIT_FIELDS, {
        "id": {"type": "string", "format": "uuid", "description": "Client-generated UUID"},
        "child_id": {"type": "string", "format": "uuid"},
        "injuries": {"type": "array", "items": _ref("Injury"), "maxItems": 50},
        "carers_present": {"type": "array", "items": _ref("CarerPresent"), "maxItems": 20},
    })
    visit["required"] = ["id", "child_id"] + visit["required"]
    stored_visit = {"allOf": [_ref("Visit"), {"type": "object", "properties": {
        "status": {"enum": ["submitted", "signed"]},
        "growth": {"type": "object", "properties": {"weight_sds": {"type": ["number", "null"]},
                                                    "weight_centile": {"type": ["number", "null"]},
                                                    "centile_spaces_fallen_since_birth": {"type": ["number", "null"]}}},
        "required_actions": {"type": "array", "items": _ref("Action")},
        "record_sha256": {"type": ["string", "null"]}}}]}
    action = {"type": "object", "properties": {
        "id": {"type": "string"}, "rule_id": {"type": "string"}, "title": {"type": "string"},
        "severity": {"enum": ["immediate", "same_day", "within_days", "monitor"]},
        "due_at": {"type": "string", "format": "date-time"}, "status": {"enum": ["open", "done", "not_done"]},
        "source": {"type": "string"}, "action": {"type": "string"}, "owner": {"enum": ["visitor", "supervisor"]}}}
    child_out = _object(CHILD_FIELDS, {"id": {"type": "string", "format": "uuid"}})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Home Visit Toolkit API", "version": "1.0.0",
                 "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Child": child_out, "Visit": visit, "StoredVisit": stored_visit, "Action": action,
                "Injury": _object(INJURY_FIELDS), "CarerPresent": _object(CARER_FIELDS),
                **_referral_schemas(),
                "Problem": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
            },
        },
        "paths": {
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                             "responses": {"200": {"description": "OpenAPI document"}}}},
            "/api/v1/children": {"post": {"summary": "Add a child to your team's caseload",
                                          "requestBody": _json(_ref("Child")),
                                          "responses": {"201": {"description": "Created", **_json(_ref("Child"))},
                                                        "422": _problem("Answers need correcting"), **ERRORS}}},
            "/api/v1/children/{child_id}": {"get": {
                "summary": "A child with growth and open actions",
                "parameters": [{"name": "child_id", **uuid_param}],
                "responses": {"200": {"description": "The child", **_json(_ref("Child"))}, **ERRORS}}},
            "/api/v1/children/{child_id}/chronology": {"get": {
                "summary": "Every visit, concern and action in date order",
                "parameters": [{"name": "child_id", **uuid_param}],
                "responses": {"200": {"description": "The chronology"}, **ERRORS}}},
            "/api/v1/visits/{visit_id}": {
                "put": {"summary": "Store a visit under the client's UUID (idempotent)",
                        "parameters": [{"name": "visit_id", **uuid_param}],
                        "requestBody": _json(_ref("Visit")),
                        "responses": {"201": {"description": "Stored", **_json(_ref("StoredVisit"))},
                                      "200": {"description": "Identical replay", **_json(_ref("StoredVisit"))},
                                      "409": _problem("Same id, different body; or already signed"),
                                      "413": _problem("Body too large"),
                                      "422": _problem("Answers need correcting"), **ERRORS}},
                "get": {"summary": "A stored visit", "parameters": [{"name": "visit_id", **uuid_param}],
                        "responses": {"200": {"description": "The visit", **_json(_ref("StoredVisit"))}, **ERRORS}}},
            "/api/v1/visits/{visit_id}/signature": {"post": {
                "summary": "Sign a submitted visit with the drawn signature; the signed PDF record is stored once",
                "parameters": [{"name": "visit_id", **uuid_param}],
                "requestBody": _json({"type": "object", "required": ["signature_png", "declaration_accepted"],
                                      "properties": {"signature_png": {"type": "string", "description":
                                                     "Base64 PNG, with or without a data: URL prefix; at most 512 KB"},
                                                     "declaration_accepted": {"const": True}}}),
                "responses": {"201": {"description": "Signed", **_json({"type": "object", "properties": {
                                  "visit_id": {"type": "string"}, "record_sha256": {"type": "string"},
                                  "signed_at": {"type": "string", "format": "date-time"}}})},
                              "200": {"description": "Already signed by you (replay)"},
                              "409": _problem("Not submitted yet, or signed by someone else"),
                              "422": _problem("Signature or declaration missing or unusable"), **ERRORS}}},
            "/api/v1/visits/{visit_id}/record.pdf": {"get": {
                "summary": "The stored signed record (PDF/A-3b, PAdES); countersigned when it is",
                "parameters": [{"name": "visit_id", **uuid_param}],
                "responses": {"200": {"description": "The PDF", "content": {"application/pdf": {}}}, **ERRORS}}},
            "/api/v1/actions": {"get": {
                "summary": "Your team's required actions",
                "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["open", "done", "not_done"]}},
                               {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                               {"name": "child_id", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Actions"}, **ERRORS}}},
            "/api/v1/actions/{action_id}/complete": {"post": {
                "summary": "Close an action as done (outcome) or not done (reason; a supervisor countersigns)",
                "parameters": [{"name": "action_id", **uuid_param}],
                "requestBody": _json({"type": "object", "properties": {"outcome": {"type": "string"},
                                                                       "not_done_reason": {"type": "string"}}}),
                "responses": {"200": {"description": "The action", **_json(_ref("Action"))},
                              "409": _problem("Already closed"), "422": _problem("Answers need correcting"),
                              **ERRORS}}},
            **_export_paths(),
            **_referral_paths(uuid_param),
        },
    }


def _export_paths() -> dict[str, Any]:
    """The export downloads (homevisit.web.views.exports): visit history, data dictionary, one child's records."""
    forbidden = {"403": _problem("Practitioners cannot export the team's records")}
    filters = [
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "First visit date to include (the visit's own date, YYYY-MM-DD)"},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "Last visit date to include"},
        {"name": "child_id", "in": "query", "schema": {"type": "string", "format": "uuid"},
         "description": "One child of your team (404 for any other)"},
        {"name": "practitioner", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}},
         "style": "form", "explode": True, "description": "Visits by these users (visitor_id); repeat for several"},
        {"name": "team", "in": "query", "schema": {"type": "integer"},
         "description": "Your own team's id only (404 for any other)"},
        {"name": "rule", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
         "style": "form", "explode": True, "description": "Visits that raised an action under these rule ids"},
        {"name": "action_status", "in": "query",
         "schema": {"type": "array", "items": {"enum": ["open", "done", "not_done"]}}, "style": "form",
         "explode": True, "description": "Visits that raised an action now in this status (with rule: the same action)"},
    ]
    visit_formats = {
        "csv": ("The visits, one row each, data dictionary names as the header (RFC 4180, UTF-8)", "text/csv"),
        "zip": ("visits.csv, injuries.csv, carers_present.csv and actions.csv, keyed by visit_id", "application/zip"),
        "json": ("A JSON array of visits with injuries, carers_present and actions nested; NDJSON (a visit a line) "
                 "when the request sends 'Accept: application/x-ndjson'", "application/json"),
        "xlsx": ("A workbook with a sheet each: visits, injuries, carers_present, actions",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }
    paths: dict[str, Any] = {}
    for fmt, (summary, media) in visit_formats.items():
        content: dict[str, Any] = {media: {}, **({"application/x-ndjson": {}} if fmt == "json" else {})}
        paths[f"/api/v1/exports/visits.{fmt}"] = {"get": {
            "summary": f"Your team's visit history: {summary}. Streamed; audited. Supervisors and admins.",
            "parameters": filters,
            "responses": {"200": {"description": "The export", "content": content},
                          "422": _problem("A filter needs correcting"), **forbidden, **ERRORS}}}
    for fmt in ("csv", "json"):
        paths[f"/api/v1/exports/dictionary.{fmt}"] = {"get": {
            "summary": "The data dictionary: entity, name, question, type, unit, allowed values, section",
            "responses": {"200": {"description": "The data dictionary", "content": {
                "text/csv" if fmt == "csv" else "application/json": {}}}, **ERRORS}}}
    child = [{"name": "child_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
    for fmt, media in (("csv", "text/csv"), ("pdf", "application/pdf")):
        paths[f"/api/v1/exports/children/{{child_id}}/chronology.{fmt}"] = {"get": {
            "summary": "One child's chronology (visits, concerns, actions), oldest first. Audited.",
            "parameters": child, "responses": {"200": {"description": "The chronology", "content": {media: {}}},
                                               **ERRORS}}}
    for fmt, media in (("zip", "application/zip"),
                       ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        paths[f"/api/v1/exports/referrals.{fmt}"] = {"get": {
            "summary": "Your team's referrals: referrals, referral_responses and strategy_discussions "
                       f"({'CSV files' if fmt == 'zip' else 'a sheet each'}). Supervisors and admins. Audited.",
            "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                            "description": "First day a referral was started"},
                           {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                            "description": "Last day a referral was started"}],
            "responses": {"200": {"description": "The export", "content": {media: {}}},
                          "422": _problem("A date needs correcting"), **forbidden, **ERRORS}}}
    paths["/api/v1/exports/children/{child_id}/subject-access.zip"] = {"get": {
        "summary": "Everything held about one child, for a subject access request: child.json, visits.csv, "
                   "visits.json, injuries.csv, carers_present.csv, actions.csv, concerns.csv, referrals.csv, "
                   "referral_responses.csv, strategy_discussions.csv, audit_trail.csv. "
                   "Supervisors and admins. Audited.",
        "parameters": child + [{"name": "redact", "in": "query", "schema": {"enum": ["1"]},
                                "description": "1: third parties' names become [redacted]"}],
        "responses": {"200": {"description": "The zip", "content": {"application/zip": {}}}, **forbidden, **ERRORS}}}
    return paths


_FORM_KEYS = ("household", "parental_responsibility", "parents_told", "parents_consent", "not_told_why",
              "seen_and_heard", "child_experience", "other_agencies", "next_steps")


def _referral_schemas() -> dict[str, Any]:
    """Referrals, the hub's responses and strategy discussions (homevisit.services.referrals; docs/referrals.md)."""
    new_referral = {"type": "object", "required": ["child_id", "agency", "reason"], "properties": {
        "child_id": {"type": "string", "format": "uuid"},
        "agency": {"type": "string", "description": "A key of the instance's REFERRAL_AGENCIES (default: mash)"},
        "reason": {"type": "string", "maxLength": 10_000, "description": "Why, in the referrer's words"},
        "supporting_rules": {"type": "array", "items": {"type": "string"}, "description": "Rule ids, like R16"},
        "action_id": {"type": ["string", "null"], "description": "The required action it answers"},
        "concern_id": {"type": ["string", "null"], "description": "The concern it was started from"},
        "form": {"type": "object", "additionalProperties": False,
                 "properties": {k: {"type": "string", "maxLength": 8000} for k in _FORM_KEYS}},
        "sent_at": {"type": ["string", "null"], "format": "date-time",
                    "description": "When it was sent (not in the future); with method, the hub's timers start"},
        "method": {"enum": [v for v, _ in REFERRAL_METHODS] + [None]},
        "reference": {"type": ["string", "null"], "maxLength": 200}}}
    stored = _object(REFERRAL_FIELDS, {
        "responses": {"type": "array", "items": _ref("ReferralResponse")},
        "actions": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "rule_id": {"type": "string", "description": "ESC1-3 escalation steps, SD, MI"},
            "title": {"type": "string"}, "status": {"enum": ["open", "done", "not_done"]},
            "due_at": {"type": "string", "format": "date-time"}, "owner": {"enum": ["visitor", "supervisor"]}}}},
        "agency_name": {"type": "string"}})
    response = {"type": "object", "properties": {
        "kind": {"enum": [v for v, _ in REFERRAL_RESPONSE_KINDS]}, "at": {"type": "string", "format": "date-time"},
        "hub_contact": {"type": ["string", "null"]}, "decision": {"enum": [v for v, _ in REFERRAL_DECISIONS] + [None]},
        "reasons": {"type": ["string", "null"]}, "recorded_by": {"type": ["string", "null"]}}}
    strategy = {"type": "object", "required": ["child_id", "held_at", "attendees", "decision"], "properties": {
        "child_id": {"type": "string", "format": "uuid"}, "referral_id": {"type": ["string", "null"]},
        "held_at": {"type": "string", "format": "date-time"},
        "attendees": {"type": "array", "minItems": 1, "items": {"enum": [v for v, _ in STRATEGY_AGENCIES]}},
        "decision": {"enum": [v for v, _ in STRATEGY_DECISIONS]}, "notes": {"type": "string", "maxLength": 10_000},
        "actions": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["action", "who", "due_on"],
                    "properties": {"action": {"type": "string"}, "who": {"type": "string"},
                                   "owner": {"enum": ["visitor", "supervisor"]},
                                   "due_on": {"type": "string", "format": "date"}}}}}}
    stored_strategy = _object(STRATEGY_FIELDS, {"actions": {"type": "array", "items": {"type": "object"}}})
    return {"NewReferral": new_referral, "Referral": stored, "ReferralResponse": response,
            "StrategyDiscussion": strategy, "StoredStrategyDiscussion": stored_strategy}


def _referral_paths(uuid_param: dict[str, Any]) -> dict[str, Any]:
    rid = [{"name": "referral_id", **uuid_param}]
    conflict = _problem("Already recorded, or not possible in the referral's state")
    invalid = _problem("Answers need correcting")
    stored = {"description": "The referral", **_json(_ref("Referral"))}
    return {
        "/api/v1/referrals": {"get": {
            "summary": "Your team's referrals, newest first (stalled ones are escalated before answering)",
            "parameters": [{"name": "child_id", "in": "query", "schema": {"type": "string"}},
                           {"name": "status", "in": "query",
                            "schema": {"enum": ["draft", "sent", "acknowledged", "decided"]}}],
            "responses": {"200": {"description": "Referrals"}, "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}": {
            "put": {"summary": "Store a referral under the client's UUID (idempotent: replay 200, different body 409)",
                    "parameters": rid, "requestBody": _json(_ref("NewReferral")),
                    "responses": {"201": {**stored, "description": "Stored"}, "200": {**stored, "description": "Replay"},
                                  "409": _problem("Same id, different body"), "422": invalid, **ERRORS}},
            "get": {"summary": "A referral with its deadlines, the hub's responses and its actions",
                    "parameters": rid, "responses": {"200": stored, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/sent": {"post": {
            "summary": "Record when and how a draft referral was sent; the hub's timers start",
            "parameters": rid, "requestBody": _json({"type": "object", "required": ["sent_at", "method"], "properties": {
                "sent_at": {"type": "string", "format": "date-time"},
                "method": {"enum": [v for v, _ in REFERRAL_METHODS]}, "reference": {"type": "string"}}}),
            "responses": {"200": stored, "409": conflict, "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/responses": {"post": {
            "summary": "Record the hub's acknowledgement or decision, or that the information it asked for was sent",
            "parameters": rid, "requestBody": _json({"type": "object", "required": ["kind", "at"], "properties": {
                "kind": {"enum": ["acknowledgement", "decision", "information_sent"]},
                "at": {"type": "string", "format": "date-time"}, "hub_contact": {"type": "string"},
                "decision": {"enum": [v for v, _ in REFERRAL_DECISIONS]}, "reasons": {"type": "string"}}}),
            "responses": {"201": stored, "409": conflict, "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/dispute": {"post": {
            "summary": "Disagree with the hub's decision: the first escalation step opens as a required action",
            "parameters": rid, "requestBody": _json({"type": "object", "required": ["reason"],
                                                     "properties": {"reason": {"type": "string"}}}),
            "responses": {"201": stored, "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/dispute/resolution": {"post": {
            "summary": "Record how the disagreement was resolved; its escalation actions close",
            "parameters": rid, "requestBody": _json({"type": "object", "required": ["resolution"],
                                                     "properties": {"resolution": {"type": "string"}}}),
            "responses": {"200": stored, "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/pack": {"post": {
            "summary": "Sign the referral pack (PDF/A-3b, PAdES) as the referrer; stored once",
            "parameters": rid, "requestBody": _json({"type": "object", "required": ["declaration_accepted"],
                                                     "properties": {"declaration_accepted": {"const": True}}}),
            "responses": {"201": {"description": "Signed", **_json({"type": "object", "properties": {
                "referral_id": {"type": "string"}, "pack_sha256": {"type": "string"},
                "signed_at": {"type": "string", "format": "date-time"}}})},
                "200": {"description": "Already signed by you (replay)"}, "403": _problem("Not the referrer"),
                "409": _problem("Signed by someone else"), "422": invalid, **ERRORS}}},
        "/api/v1/referrals/{referral_id}/pack.pdf": {"get": {
            "summary": "The signed referral pack", "parameters": rid,
            "responses": {"200": {"description": "The PDF", "content": {"application/pdf": {}}}, **ERRORS}}},
        "/api/v1/strategy-discussions/{strategy_id}": {"put": {
            "summary": "Record a strategy discussion under the client's UUID (idempotent); each allocated action is "
                       "a tracked required action",
            "parameters": [{"name": "strategy_id", **uuid_param}], "requestBody": _json(_ref("StrategyDiscussion")),
            "responses": {"201": {"description": "Stored", **_json(_ref("StoredStrategyDiscussion"))},
                          "200": {"description": "Replay"}, "409": _problem("Same id, different body"),
                          "422": invalid, **ERRORS}}},
    }
