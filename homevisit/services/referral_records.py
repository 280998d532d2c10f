"""The referral pack: a multi-agency referral form filled from the child's record, and its signed PDF.

``prefill`` writes the first draft of the form from what is already known (who was present at visits, what
the visitors saw in their own words, concerns from other agencies, what the supporting rules say should
happen next); the referrer edits it before signing. ``build_pack`` gathers the evidence the pack carries in
the document itself: the UK-WHO growth chart across every visit, the concerns recorded more than once (with
dates and visitors), the injuries recorded and the chronology. ``sign_pack`` renders it with the same
renderer and signer as visit records (PDF/A-3b, PAdES) and stores the signed bytes once, with their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import children as children_data
from homevisit.data import concerns as concerns_data
from homevisit.data import referrals as referrals_data
from homevisit.data import rule_hits as rule_hits_data
from homevisit.data import store
from homevisit.data import teams as teams_data
from homevisit.data import visits as visits_data
from homevisit.domain import growth
from homevisit.domain.calendar import utc_now
from homevisit.domain.dictionary import CARER_BY_NAME, INJURY_BY_NAME, VISITOR_ROLES
from homevisit.domain.presentation import age_words, centile_words, date_words, datetime_words
from homevisit.records import records
from homevisit.services import audit, referrals
from homevisit.services import visits as visits_mod
from homevisit.services.chronology import chronology_for
from homevisit.services.visit_records import (
    MARKING,
    SignError,
    _write_once,
    load_signer,
    load_timestamper,
    read_record_file,
)

DECLARATION = ("I declare that the information in this referral is true to the best of my knowledge. I have "
               "shared it to safeguard the child, as Working Together to Safeguard Children (2023) expects.")
ROLE_WORDS = dict(VISITOR_ROLES)
KIND_WORDS = {"visit": "Visit", "concern": "Concern", "action": "Required action", "referral": "Referral",
              "strategy": "Strategy discussion"}


def _rules_by_id(rules: Any) -> dict[str, Any]:
    return rules.by_id if rules is not None else {}


def prefill(db: Any, child: dict[str, Any], *, rules: Any, action: dict[str, Any] | None = None,
            concern: dict[str, Any] | None = None) -> dict[str, Any]:
    """The first draft of a referral from the child's record: reason, supporting rules and the form's answers."""
    open_actions = actions_data.open_needing_referral(db, child["id"])
    supporting = [a["rule_id"] for a in open_actions]
    reason_parts = []
    if action is not None:
        supporting.insert(0, action["rule_id"])
        reason_parts.append(f"{action['title']}: {action.get('reasons') or action['action']}")
    if concern is not None:
        reason_parts.append(f"Concern recorded on {date_words(concern['occurred_on'])}: {concern['summary']}")
    for a in open_actions:
        if action is None or a["rule_id"] != action["rule_id"]:
            reason_parts.append(f"{a['title']}: {a['reasons']}")
    known = _rules_by_id(rules)
    supporting = [r for r in dict.fromkeys(supporting) if r in known]

    visits = visits_mod.visits_for_child(db, child["id"])
    recent = [v for v in visits if v["status"] != "draft"][:6]
    people: dict[str, str] = {}
    responsibility: list[str] = []
    for v in recent:
        for c in visits_data.carers_present_for_visit(db, v["id"]):
            who = CARER_BY_NAME["role"].label_for(c["role"])
            label = f"{c['name']} ({who.lower()})" if c.get("name") else who
            if c.get("lives_here"):
                people.setdefault(label, label)
            if c.get("parental_responsibility") and label not in responsibility:
                responsibility.append(label)
    seen = []
    for v in recent:
        row = visits_data.observed_words(db, v["id"])
        if row and row["observed_verbatim"]:
            seen.append(f"{date_words(v['visited_at'])} ({v['visitor_name']}): {row['observed_verbatim']}")
    others = []
    for c in concerns_data.recent_with_recorder(db, child["id"]):
        others.append(f"{date_words(c['occurred_on'])}, {c['agency'] or c['name']}: {c['summary']}")
    visitors = sorted({f"{v['visitor_name']} ({ROLE_WORDS.get(v.get('visitor_role') or '', 'professional').lower()})"
                       for v in recent})
    if visitors:
        others.append("Seen on visits by: " + ", ".join(visitors))
    steps = []
    for rule_id in supporting:
        steps.append(f"{rule_id}: {known[rule_id].action}")
    form = {
        "household": "; ".join(people) or None,
        "parental_responsibility": "; ".join(responsibility) or None,
        "seen_and_heard": "\n\n".join(seen) or None,
        "other_agencies": "\n".join(others) or None,
        "next_steps": "\n".join(steps) or None,
    }
    return {"reason": "\n".join(reason_parts) or "", "supporting_rules": supporting,
            "form": {k: v for k, v in form.items() if v},
            "action_id": action["id"] if action else None, "concern_id": concern["id"] if concern else None}


def _growth_block(db: Any, child: dict[str, Any], *, titled: bool = False) -> dict[str, Any]:
    series = growth.stored_series(child, visits_mod.measurements_for(db, child["id"]))
    rows = [{"measured_on_words": date_words(p["measured_on"]), "weight_kg": p["weight_kg"],
             "centile_words": p["centile_band_words"] or "", "sds": p["sds"],
             "fallen": p["centile_spaces_fallen_since_birth"]} for p in series]
    summary = ""
    if series:
        last = series[-1]
        summary = f"The latest weight, {last['weight_kg']:.2f} kg on {date_words(last['measured_on'])}, is " \
                  f"{last['centile_band_words'] or centile_words(last['sds'])}"
        fallen = last["centile_spaces_fallen_since_birth"]
        if fallen is not None and fallen > 0:
            summary += f"; it has fallen {fallen:.1f} centile spaces since birth"
        summary += f". {len(series)} weight{'s' if len(series) != 1 else ''} recorded across every visit."
    chart = growth.weight_chart_svg(child, series, drawn_title=titled) if series else None
    return {"chart_svg": chart, "rows": rows, "summary": summary}


def _repeated_concerns(db: Any, child_id: str) -> list[dict[str, Any]]:
    hits = rule_hits_data.concern_hits_for_child(db, child_id)
    grouped: dict[str, dict[str, Any]] = {}
    for h in hits:
        entry = grouped.setdefault(h["rule_id"], {"rule_id": h["rule_id"], "title": h["title"], "source": h["source"],
                                                  "dates": []})
        entry["dates"].append({"at_words": date_words(h["at"]), "by": h["by_name"] or "",
                               "role_words": ROLE_WORDS.get(h["role"] or "", "")})
    out = [dict(e, times=len(e["dates"])) for e in grouped.values() if len(e["dates"]) >= 2]
    return sorted(out, key=lambda e: (-e["times"], e["rule_id"]))


def _injuries(db: Any, child_id: str) -> list[dict[str, Any]]:
    rows = visits_data.submitted_injuries_with_visitor(db, child_id)
    out = []
    for r in rows:
        description = ", ".join(x for x in (
            f"{r['count']} marks" if (r.get("count") or 1) > 1 else "",
            f"{r['size_mm']} mm" if r.get("size_mm") else "", r.get("colour") or "",
            INJURY_BY_NAME["pattern"].label_for(r["pattern"]) if r.get("pattern") not in (None, "none") else "") if x)
        out.append({"seen_words": date_words(r["visited_at"]), "by": r["by_name"],
                    "type_words": INJURY_BY_NAME["type"].label_for(r["type"]),
                    "site_words": INJURY_BY_NAME["body_site"].label_for(r["body_site"]) if r.get("body_site") else "",
                    "description": description, "explanation": r.get("explanation") or ""})
    return out


def evidence(db: Any, child: dict[str, Any]) -> dict[str, Any]:
    """What the pack will carry besides the form, shown to the referrer while she writes it: the growth across
    every visit (its chart and summary), the concerns recorded more than once and the injuries recorded."""
    return {"growth": _growth_block(db, child, titled=True), "concerns": _repeated_concerns(db, child["id"]),
            "injuries": _injuries(db, child["id"])}


def build_pack(db: Any, referral: dict[str, Any], child: dict[str, Any], *, config: Any, rules: Any,
               signer: dict[str, Any], signed_at: datetime) -> dict[str, Any]:
    """The pack dict the PDF template renders (templates/pdf/referral.html)."""
    known = _rules_by_id(rules)
    today = signed_at.date()
    agency_names = referrals.agencies(config)
    team = teams_data.name_by_id(db, referral["team_id"]) or {"name": ""}
    chronology = [{"at_words": date_words(e["at"]), "kind_words": KIND_WORDS.get(e["kind"], e["kind"].capitalize()),
                   "by": e.get("by") or "", "summary": e["summary"]}
                  for e in chronology_for(db, child, newest_first=False)]
    record_json = referrals.payload(db, referral, config)
    return {
        "organisation": config["ORGANISATION_NAME"], "service_name": config["SERVICE_NAME"],
        "record_id": referral["id"], "marking": MARKING,
        "agency_name": agency_names.get(referral["agency"], referral["agency"]),
        "child": {"given_name": child["given_name"], "family_name": child["family_name"],
                  "date_of_birth": child["date_of_birth"], "sex": child["sex"], "nhs_number": child.get("nhs_number"),
                  "age_words": age_words(child["date_of_birth"], today)},
        "referrer": {"name": referral["referrer_name"],
                     "role_words": ROLE_WORDS.get(referral.get("referrer_role") or "", "Professional"),
                     "team": team["name"], "email": referral.get("referrer_email") or ""},
        "referral": {"reason": referral["reason"],
                     "supporting_rules": [{"rule_id": r, "title": known[r].title if r in known else "",
                                           "source": known[r].source if r in known else ""}
                                          for r in referral["supporting_rules"]],
                     "sent_at_words": datetime_words(referral["sent_at"]) or None,
                     "method_words": referrals.METHOD_WORDS.get(referral["method"] or "") or None,
                     "reference": referral["reference"]},
        "form": [{"question": q, "answer": referral["form"].get(key)} for key, q, _h in referrals.FORM_QUESTIONS],
        "growth": _growth_block(db, child),
        "concerns": _repeated_concerns(db, child["id"]),
        "injuries": _injuries(db, child["id"]),
        "chronology": chronology,
        "signature": {"name": signer["name"], "role_words": ROLE_WORDS.get(signer.get("visitor_role") or "",
                                                                            signer["role"].capitalize()),
                      "signed_at_words": datetime_words(signed_at), "declaration": DECLARATION},
        "referral_json": json.dumps(record_json, ensure_ascii=False, sort_keys=True, indent=1,
                                    default=str).encode("utf-8"),
    }


def sign_pack(db: Any, referral_id: str, user: dict[str, Any], declaration_accepted: Any, *, config: Any,
              rules: Any, static_dir: str) -> dict[str, Any]:
    """Sign the referral pack as its referrer: render it, sign it, store it once. Returns its SHA-256."""
    try:
        referral = referrals.get_referral(db, referral_id, user)
    except referrals.NotFound:
        raise SignError("referral", "No referral with this id on your team's caseload", 404) from None
    if referral["pack_sha256"]:
        if referral["pack_signed_by"] == user["id"]:
            return {"pack_sha256": referral["pack_sha256"], "signed_at": referral["pack_signed_at"], "replayed": True}
        raise SignError("referral", "This referral pack is already signed", 409)
    if referral["referrer_id"] != user["id"]:
        raise SignError("referral", "Only the professional making the referral can sign its pack", 403)
    if declaration_accepted is not True:
        raise SignError("declaration_accepted", "Confirm the declaration to sign the referral pack")
    child = children_data.by_id(db, referral["child_id"])
    assert child is not None
    signed_at = utc_now()
    pack = build_pack(db, referral, child, config=config, rules=rules, signer=user, signed_at=signed_at)
    pdf = records.render_signed_referral(pack, static_dir, load_signer(config), load_timestamper(config))
    digest = hashlib.sha256(pdf).hexdigest()
    filename = f"referral-{referral_id}.pdf"
    stamp = signed_at.isoformat(timespec="seconds")
    with store.write(db):
        current = referrals_data.pack_state(db, referral_id)
        if current and current["pack_sha256"]:
            if current["pack_signed_by"] == user["id"]:
                return {"pack_sha256": current["pack_sha256"], "signed_at": None, "replayed": True}
            raise SignError("referral", "This referral pack is already signed", 409)
        _write_once(config["RECORDS_DIR"], filename, pdf)
        referrals_data.update(db, referral_id, {"pack_filename": filename, "pack_sha256": digest,
                                                "pack_signed_at": stamp, "pack_signed_by": user["id"],
                                                "updated_at": stamp})
        audit.record(db, action="sign_pack", object_type="referral", object_id=referral_id,
                     child_id=referral["child_id"], user=user, detail={"pack_sha256": digest})
    return {"pack_sha256": digest, "signed_at": stamp, "replayed": False}


def stored_pack(db: Any, referral_id: str, user: dict[str, Any], config: Any) -> bytes | None:
    """The signed pack of a referral of the user's team (audited as a download), or None if none is signed."""
    try:
        referral = referrals.get_referral(db, referral_id, user)
    except referrals.NotFound:
        return None
    if not referral["pack_sha256"]:
        return None
    data = read_record_file(config, referral["pack_filename"], referral["pack_sha256"])
    audit.record(db, action="download_pack", object_type="referral", object_id=referral_id,
                 child_id=referral["child_id"], user=user)
    return data


def pack_filename_for(referral: dict[str, Any]) -> str:
    sent = referral.get("sent_at") or referral.get("created_at") or date.today().isoformat()
    return f"referral-{referral['family_name']}-{referral['given_name']}-{str(sent)[:10]}.pdf".replace(" ", "-")
