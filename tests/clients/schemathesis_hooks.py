"""schemathesis hooks for scripts/live-contract.sh (`LIAISON_LIVE_CHECKS=fuzz`).

Three kinds, and nothing else:

1. The one exclusion the contract allows: a schema-valid request refused *only* because it
   names a record that does not exist (or lies outside the caller's scope). The server says so
   with 422 `validation_failed` whose every field message starts "no such"; such failures of
   `positive_data_acceptance` are dropped. Any other refusal still fails the run.

2. Rules no JSON Schema can state, taught to the generator for positive cases only (negative
   cases are sent as generated): a resident ID number's check digit (GB 11643), an end after its
   start, a rota change not in a month already past, no made-up `If-Match` version, a password strong enough (zxcvbn >= 3) and,
   for `PUT /me/password`, the caller's real current password, and a webhook URL on a public
   https host (the server refuses plain http and private addresses, which the pattern allows
   for deployments that switch the guard off). The request still goes out and every check
   still runs on the answer.

3. Rules that hang on who calls, told with the demo data the runs use (`liaison serve --demo`):
   staff name the voter an appointment is for and the organiser of an activity they plan, and an
   import sends a real file (a CSV of one row) rather than random bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import MutableMapping
from typing import Any

import schemathesis

BEIJING = dt.timezone(dt.timedelta(hours=8))
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
PASSWORDS = {"current": "demo-password"}

# Demo records (src/demo.rs) every run's callers can see.
DEMO_VOTER = "0190f5a0-0000-7000-8000-000000000051"
DEMO_WORKING_COMMITTEE = "0190f5a0-0000-7000-8000-000000000002"
IMPORT_FILES = {
    "POST /api/v1/imports/voters": "name,constituency_code,phone\n王五,BBS-03,13900000077\n",
    "POST /api/v1/imports/representatives": (
        "name,gender,level,term,constituency_code,liaison_group\n"
        "李四,male,district,16,BBS-03,八宝山街道代表联络站\n"
    ),
}


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
    start, end = out.get("start_time"), out.get("end_time")
    if isinstance(start, str) and isinstance(end, str) and end[:5] <= start[:5]:
        out["start_time"], out["end_time"] = "09:00", "11:00"
    opens, closes = out.get("opens_on"), out.get("closes_on")
    if isinstance(opens, str) and isinstance(closes, str) and closes < opens:
        out["opens_on"], out["closes_on"] = closes, opens
    effective = out.get("effective_from")
    if isinstance(effective, str) and effective < _first_of_this_month().isoformat():
        out["effective_from"] = dt.datetime.now(BEIJING).date().isoformat()
    for key in ("password", "new_password"):
        if isinstance(out.get(key), str):
            out[key] = "liaison " + secrets.token_urlsafe(12) + " 拱门"
    for low, high in (("min_fixed_households", "max_fixed_households"), ("min_voter_liaisons", "max_voter_liaisons")):
        a, b = out.get(low), out.get(high)
        numbers = all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in (a, b))
        if numbers and a > b:
            out[low], out[high] = b, a
    return out


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: Any) -> None:
    # The changes feed's long poll would hold each request up to 30 s: wait at most 1 s, so a
    # run stays short (0 and 1 are within the schema; larger values are shortened, not sent).
    if case.operation.label == "GET /api/v1/changes" and isinstance(case.query, dict):
        wait = case.query.get("wait")
        # Query values come typed or as the strings the coverage phase sends.
        number = int(wait) if isinstance(wait, str) and wait.isdigit() else wait
        if isinstance(number, int) and not isinstance(number, bool) and 1 < number <= 30:
            case.query["wait"] = "1" if isinstance(wait, str) else 1
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return
    if any(meta.is_negative_at(location) for location in meta.components):
        return
    # If-Match names a version the server issued, which a generator cannot know; it is
    # optional, so a positive case goes without it rather than with a made-up one.
    for headers in (case.headers, kwargs.get("headers") if isinstance(kwargs, dict) else None):
        if isinstance(headers, MutableMapping):
            for name in [n for n in headers if n.lower() == "if-match"]:
                del headers[name]
    label = case.operation.label
    if label in IMPORT_FILES:
        if isinstance(case.query, dict) and "charset" in case.query:
            case.query["charset"] = "utf-8"
        case.body = IMPORT_FILES[label]
        case.media_type = "text/csv"
    if isinstance(case.body, dict) and label == "POST /api/v1/appointments":
        case.body["voter_id"] = case.body.get("voter_id") or DEMO_VOTER
    if isinstance(case.body, dict) and label == "POST /api/v1/activities":
        if not (case.body.get("organiser_committee_id") or case.body.get("organiser_group_id")):
            case.body["organiser_committee_id"] = DEMO_WORKING_COMMITTEE
    if isinstance(case.body, dict) and "url" in case.body and "/webhooks" in label:
        case.body["url"] = "https://hooks.example/fuzz/" + secrets.token_urlsafe(6)
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
