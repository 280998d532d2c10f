"""A new visit PUT through the API is answered from what was just stored, without reading the visit back
(issue 16), and the answer is the visit as stored: the same JSON a later GET, or reading it back, gives."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from helpers import full_visit, make_child
from homevisit.services import visits


def _variants(child_id: str) -> list[dict]:
    today = date.today().isoformat()
    worrying = {"type": "bruise", "body_site": "right_cheek", "map_view": "face", "size_mm": 12, "count": 2,
                "pattern": "grip", "explanation_assessment": "unsuitable", "explanation": "Fell off the sofa"}
    return [
        full_visit(child_id),
        # whole numbers where the columns hold decimals, and no answer at all to some questions
        full_visit(child_id, room_temp_c=18, weight_kg=9, remeasured_confirmed=True, covering=None),
        # marks and people present, raising actions of several urgencies
        full_visit(child_id, injuries=[worrying, {**worrying, "body_site": "left_upper_arm", "map_view": "front"}],
                   carers_present=[{"role": "mother", "parental_responsibility": True, "lives_here": True},
                                   {"role": "other", "name": "Neighbour", "parental_responsibility": False}],
                   age_appropriate_food="none", child_cold=True),
        # the same rules again: the open actions are raised again, not raised anew
        full_visit(child_id, injuries=[worrying], age_appropriate_food="none",
                   visited_at=f"{today}T15:00:00+00:00"),
        # no access: most of the visit is not answered
        {"id": full_visit(child_id)["id"], "child_id": child_id, "visited_at": f"{today}T09:00:00+00:00",
         "visitor_role": "health_visitor", "access_outcome": "no_answer", "child_seen": "not_seen",
         "child_not_seen_reason": "No one answered the door", "access_attempts": ["knocked", "phoned"]},
    ]


@pytest.mark.parametrize("which", range(5))
def test_the_answer_to_a_new_visit_is_the_visit_as_stored(app, db, users, token_for, which):
    child = make_child(db, users["practitioner"], date_of_birth=(date.today() - timedelta(days=200)).isoformat())
    headers = token_for()
    client = app.test_client()
    bodies = _variants(child["id"])
    for body in bodies[:which]:  # the earlier visits of this child, so the later ones meet open actions
        assert client.put(f"/api/v1/visits/{body['id']}", json=body, headers=headers).status_code == 201
    body = bodies[which]
    response = client.put(f"/api/v1/visits/{body['id']}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    answered = response.get_json()
    read_back = visits.visit_payload(db, body["id"], users["practitioner"])
    assert json.dumps(answered, sort_keys=True) == json.dumps(read_back, sort_keys=True, default=str)
    again = client.get(f"/api/v1/visits/{body['id']}", headers=headers).get_json()
    for key, value in answered.items():
        assert again.get(key) == value, key
    if which in (2, 3):
        assert len(answered["required_actions"]) >= 2
