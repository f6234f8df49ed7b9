"""schemathesis hooks for scripts/live-contract.sh (`LIAISON_LIVE_CHECKS=fuzz`).

Two kinds, and nothing else:

1. The one exclusion the contract allows: a schema-valid request refused *only* because it
   names a record that does not exist (or lies outside the caller's scope). The server says so
   with 422 `validation_failed` whose every field message starts "no such"; such failures of
   `positive_data_acceptance` are dropped. Any other refusal still fails the run.

2. Rules no JSON Schema can state, taught to the generator for positive cases only (negative
   cases are sent as generated): a resident ID number's check digit (GB 11643), an end after its
   start, a rota change not in a month already past, no made-up `If-Match` version, a password strong enough (zxcvbn >= 3) and,
   for `PUT /me/password`, the caller's real current password. The request still goes out and
   every check still runs on the answer.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import schemathesis

BEIJING = dt.timezone(dt.timedelta(hours=8))
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
PASSWORDS = {"current": "demo-password"}


def _references_only(response: Any) -> bool:
    if response.status_code != 422:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if body.get("code") not in ("validation_failed", "import_rejected"):
        return False
    messages = [m for ms in (body.get("errors") or {}).values() for m in ms]
    return bool(messages) and all(m.startswith("no such") for m in messages)


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    if type(failure).__name__ == "RejectedPositiveData" and _references_only(response):
        return False
    return True


def _with_check_digit(value: str) -> str:
    digits = value[:17]
    total = sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS))
    return digits + ID_CHECK[total % 11]


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def _first_of_this_month() -> dt.date:
    return dt.datetime.now(BEIJING).date().replace(day=1)


def _teach(value: Any) -> Any:
    if isinstance(value, list):
        return [_teach(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _teach(v) for k, v in value.items()}
    number = out.get("id_number")
    if isinstance(number, str) and len(number) == 18 and number[:17].isdigit():
        out["id_number"] = _with_check_digit(number)
    starts, ends = _instant(out.get("starts_at")), _instant(out.get("ends_at"))
    if starts and ends and not (starts < ends <= starts + dt.timedelta(days=31)):
        out["ends_at"] = (starts + dt.timedelta(hours=1)).isoformat()
    effective = out.get("effective_from")
    if isinstance(effective, str) and effective < _first_of_this_month().isoformat():
        out["effective_from"] = dt.datetime.now(BEIJING).date().isoformat()
    for key in ("password", "new_password"):
        if isinstance(out.get(key), str):
            out[key] = "liaison " + secrets.token_urlsafe(12) + " 拱门"
    for low, high in (("min_fixed_households", "max_fixed_households"), ("min_voter_liaisons", "max_voter_liaisons")):
        a, b = out.get(low), out.get(high)
        if isinstance(a, int) and isinstance(b, int) and a > b:
            out[low], out[high] = b, a
    return out


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: Any) -> None:
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return
    # If-Match names a version the server issued, which a generator cannot know; it is
    # optional, so a positive case goes without it rather than with a made-up one.
    if isinstance(case.headers, dict):
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "if-match"}
    if isinstance(case.body, (dict, list)):
        case.body = _teach(case.body)
        if case.operation.label == "PUT /api/v1/me/password" and isinstance(case.body, dict):
            case.body["current_password"] = PASSWORDS["current"]
    if isinstance(case.query, dict):
        case.query = _teach(case.query)


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    if case.operation.label == "PUT /api/v1/me/password" and response.status_code < 300:
        if isinstance(case.body, dict):
            PASSWORDS["current"] = case.body["new_password"]
