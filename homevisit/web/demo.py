"""Demo data for ``make run``: a team, its people, and children with a few months of visits."""

from __future__ import annotations

import io
import math
import os
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from homevisit.data import visits as visits_data
from homevisit.domain import rules as rules_mod
from homevisit.domain.calendar import LONDON, add_working_days
from homevisit.services import access, actions, children, referrals, visit_records, visits
from homevisit.web import auth

TEAM = "Demo Locality Team"
PEOPLE = (
    ("practitioner", "hv@demo.example", "Priya Shah", "health_visitor"),
    ("practitioner", "sw@demo.example", "Sam Okafor", "social_worker"),
    ("supervisor", "supervisor@demo.example", "Jo Bennett", "health_visitor"),
    ("admin", "admin@demo.example", "Alex Morgan", None),
)
WELL = {"child_seen": "awake", "seen_alone": False, "sleep_space": "cot", "mattress_firm_flat_fits": True,
        "mattress_condition": "clean", "covering": "sleep_bag", "items_in_cot": ["none"], "room_temp_c": 18.5,
        "room_heated": True, "child_cold": False, "age_appropriate_food": "more_than_3_days",
        "spoiled_food_accessible": False, "weight_clothing": "naked", "scale_type": "class_iii",
        "demeanour": "interactive", "hygiene": "clean", "clothing_adequate": True, "carer_interaction": "warm",
        "restraint_observed": False, "heating": True, "damp_mould": False, "referral_made": False,
        "disclosure": "none", "carers_present": [{"role": "mother", "parental_responsibility": True,
                                                  "lives_here": True, "present_throughout": True}]}


def _at(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON).isoformat(timespec="minutes")


def seed(db: Any, organisation: str, *, today: date | None = None, config: Any = None) -> list[str]:
    """Create the demo team and data; returns the lines to print (passwords shown this once)."""
    today = today or date.today()
    lines = ["Demo users (these passwords are shown once; write them down):"]
    users = {}
    for role, email, name, visitor_role in PEOPLE:
        password = "demo-" + secrets.token_urlsafe(9)
        users[email] = auth.create_user(db, email=email, name=name, role=role, team=TEAM, password=password,
                                        visitor_role=visitor_role, organisation=organisation)
        refreshed = auth.get_user(db, users[email]["id"])
        assert refreshed is not None
        users[email] = refreshed
        lines.append(f"  {role:<13} {email:<26} {password}")
    ruleset = rules_mod.load_rules()
    hv, sw = users["hv@demo.example"], users["sw@demo.example"]

    def add(data: dict[str, Any], by: dict[str, Any]) -> dict[str, Any]:
        child, errors = children.add_child(db, data, by, today=today)
        assert child is not None, errors
        return child

    def visit(child: dict[str, Any], by: dict[str, Any], day: date, **changes: Any) -> None:
        body = {**WELL, "child_id": child["id"], "visited_at": _at(day), "visitor_role": by["visitor_role"], **changes}
        visits.put_visit(db, str(uuid.uuid4()), body, by, ruleset,
                         get_child=lambda cid: children.get_child(db, cid, by, log_view=False))

    well = add({"given_name": "Maya", "family_name": "Thompson", "sex": "female",
                "date_of_birth": (today - timedelta(days=160)).isoformat(), "gestation_weeks": 40,
                "gestation_days": 0, "birth_weight_kg": 3.3, "nhs_number": "9434765919"}, hv)
    for days_ago, kg in ((140, 4.2), (100, 5.2), (60, 6.1), (20, 6.9)):
        visit(well, hv, today - timedelta(days=days_ago), weight_kg=kg,
              **_milestones(160 - days_ago))
    falling = add({"given_name": "Leo", "family_name": "Harris", "sex": "male",
                   "date_of_birth": (today - timedelta(days=520)).isoformat(), "gestation_weeks": 39,
                   "gestation_days": 2, "birth_weight_kg": 3.4}, hv)
    for days_ago, kg, by, extra in (
            (120, 9.9, hv, {}),
            (90, 9.3, sw, {"demeanour": "withdrawn"}),
            (60, 8.7, hv, {"covering": "none", "room_heated": False, "room_temp_c": 14.0, "child_cold": True}),
            (30, 8.1, sw, {"age_appropriate_food": "none", "demeanour": "watchful_frozen"})):
        visit(falling, by, today - timedelta(days=days_ago), weight_kg=kg, weight_clothing="vest_and_pants",
              sits_unsupported=True, pulls_to_stand=False, stands_alone=False, walks_independently=False, **extra)
    children.allocate(db, falling["id"], sw["id"], hv, on=today - timedelta(days=95))
    preterm = add({"given_name": "Amira", "family_name": "Begum", "sex": "female",
                   "date_of_birth": (today - timedelta(days=90)).isoformat(), "gestation_weeks": 34,
                   "gestation_days": 3, "birth_weight_kg": 2.1}, hv)
    for days_ago, kg in ((80, 2.3), (50, 3.1), (10, 4.0)):
        visit(preterm, hv, today - timedelta(days=days_ago), weight_kg=kg, feeding_mode="mixed")
    add({"given_name": "Oscar", "family_name": "Nowak", "sex": "male",
         "date_of_birth": (today - timedelta(days=12)).isoformat(), "gestation_weeks": 40, "gestation_days": 1,
         "birth_weight_kg": 3.6}, hv)
    # Kai has a child protection plan. A mark on the body map at the last visit that went ahead; since then
    # nobody answered once, he was not brought to his immunisations, and entry was refused: R37 and R38.
    kai = add({"given_name": "Kai", "family_name": "Walsh", "sex": "male",
               "date_of_birth": (today - timedelta(days=270)).isoformat(), "gestation_weeks": 40,
               "gestation_days": 0, "birth_weight_kg": 3.5, "child_protection_plan": True}, hv)
    visit(kai, sw, today - timedelta(days=70), weight_kg=7.9, mobility_level="crawling", access_outcome="visited",
          injuries=[{"type": "bruise", "body_site": "left_lower_leg", "map_view": "front", "size_mm": 15,
                     "explanation": "Banged his shin on the table leg while crawling", "explanation_given_by": "Mother",
                     "mechanism": "fell_crawling", "explanation_assessment": "suitable",
                     "first_noticed_date": (today - timedelta(days=71)).isoformat(), "medical_help_sought": False}])

    def no_access(day: date, outcome: str, tried: list[str], notes: str) -> None:
        body = {"child_id": kai["id"], "visited_at": _at(day), "visitor_role": sw["visitor_role"],
                "child_seen": "not_seen", "access_outcome": outcome, "access_attempts": tried, "access_notes": notes,
                "observed_verbatim": notes}
        visits.put_visit(db, str(uuid.uuid4()), body, sw, ruleset,
                         get_child=lambda cid: children.get_child(db, cid, sw, log_view=False))

    no_access(today - timedelta(days=40), "no_answer", ["knocked", "phoned", "card_left"],
              "No answer at 10:00 or 10:30. A light on upstairs. Card left with a new time.")
    access.record_not_brought(db, kai, hv, {"appointment_on": (today - timedelta(days=25)).isoformat(),
                                            "appointment_kind": "immunisation", "reporter_role": hv["visitor_role"],
                                            "followed_up": "Phoned mother twice, no answer; letter sent"},
                              ruleset, history=visits.history_for(db, kai["id"]), today=today)
    no_access(today - timedelta(days=8), "refused_entry", ["knocked", "phoned"],
              "Mother spoke through the door: Kai was asleep and I should come back next week. She would not open it.")
    # Priya referred Leo from the required action his last visits raised, by phone, three working days ago;
    # the hub has not acknowledged it, so the escalation route is open when the supervisor looks.
    config = config or {}
    action = next((a for a in actions.list_actions(db, hv["team_id"], status="open", child_id=falling["id"])
                   if a["requires_referral"]), None)
    sent_day = add_working_days(today, -3)
    referrals.create(db, falling, hv, {
        "agency": next(iter(referrals.agencies(config))), "action_id": action["id"] if action else None,
        "reason": "Leo's weight has fallen from 9.9 kg to 8.1 kg over four months, across visits by the health "
                  "visitor and the social worker. On the last visits there was no food for him, his room was cold "
                  "with no covering, and he was watchful and frozen. He is 17 months old and cannot stand.",
        "supporting_rules": [a["rule_id"] for a in actions.list_actions(db, hv["team_id"], status="open",
                                                                       child_id=falling["id"])
                             if a["requires_referral"]],
        "form": {"household": "Mother; a partner of the mother visits", "parental_responsibility": "Mother",
                 "parents_told": "Yes: told at the visit that I would refer; she said nothing",
                 "seen_and_heard": "A bare fridge and cupboards; a cold room (14 °C); Leo in a vest, no covering",
                 "next_steps": "A strategy discussion and a child protection medical"},
        "sent_at": _at(sent_day, 11), "method": "phone", "reference": "MASH-DEMO-0042"},
        config=config, rule_ids=set(ruleset.by_id), started_from="action")
    count = visits_data.count_all(db)
    lines.append(f"Team '{TEAM}': 5 children, {count['n'] if count else 0} visits, 1 referral waiting on the hub.")
    return lines


def _milestones(age_days: int) -> dict[str, Any]:
    months = age_days / 30.4
    return {"head_control": months >= 3, "rolls": months >= 5, "sits_unsupported": months >= 7}


def sign_past_visits(db: Any, config: dict[str, Any], static_dir: str) -> list[str]:
    """Sign every demo visit but each child's latest, as its visitor would have, so that the demo has signed
    records to open, print and check; each child's latest visit is left for its visitor to sign.

    The records are rendered and signed in parallel (``visit_records.sign_visits``). Returns lines to print.
    """
    if not os.path.isdir(config["SIGNING_DIR"]):
        return ["No signing key yet ('flask --app app init-signing'): the demo visits are left unsigned."]
    rows = visits_data.submitted_before_each_childs_latest(db)
    requests = []
    for row in rows:
        user = auth.get_user(db, row["visitor_id"])
        assert user is not None
        requests.append((row["id"], user, demo_signature_png(user["name"])))
    signed = visit_records.sign_visits(db, requests, config=config, static_dir=static_dir)
    return [f"Signed {len(signed)} earlier demo visits as their visitors (each child's latest is left to sign)."]


def demo_signature_png(name: str) -> bytes:
    """A drawn-looking signature for a demo person: a pen stroke that loops once for each letter of the name."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    letters = [c for c in name if c.isalpha()][:14] or ["x"]
    points = []
    for i, letter in enumerate(letters):
        height = 40 + (ord(letter.lower()) - 96) % 7 * 8
        for step in range(12):
            t = step / 12
            x = 40 + (i + t) * 520 / len(letters)
            points.append((x, 110 - height * math.sin(math.pi * t) ** 2))
    pen.line(points, fill=(11, 12, 12, 255), width=4, joint="curve")
    pen.line([(50, 150), (540, 144)], fill=(11, 12, 12, 255), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
