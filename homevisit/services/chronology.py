"""One chronology per child: every visit, concern, action, referral step and strategy discussion, by every
professional and agency."""

from __future__ import annotations

from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import concerns as concerns_data
from homevisit.data import referrals as referrals_data
from homevisit.data import visits as visits_data

KINDS = ("visit", "concern", "action", "referral", "strategy")
REFERRAL_EVENT_WORDS = {"sent": "Referral sent", "acknowledgement": "The hub acknowledged the referral",
                        "decision": "The hub's decision", "information_sent": "More information sent to the hub",
                        "dispute": "The referrer disagreed with the hub's decision",
                        "dispute_resolved": "The disagreement was resolved", "escalation": "Referral escalated"}
DECISION_WORDS = {"assessment": "accepted for assessment", "strategy_discussion": "strategy discussion",
                  "early_help": "early help", "no_further_action": "no further action",
                  "more_information": "more information requested",
                  "s47": "section 47 enquiry", "medical": "child protection medical"}


def chronology_for(db: Any, child: dict[str, Any], *, newest_first: bool = True, kinds: tuple[str, ...] = KINDS,
                   professional_id: int | None = None) -> list[dict[str, Any]]:
    """Dated entries with who, what, and where it came from; filtered by kind and professional."""
    entries: list[dict[str, Any]] = []
    if "visit" in kinds:
        for v in visits_data.not_draft_chronology_for_child(db, child["id"]):
            if professional_id and v["visitor_id"] != professional_id:
                continue
            summary = "Child seen" if v["child_seen"] in ("awake", "asleep") else "Child not seen"
            if v["weight_kg"] is not None:
                summary += f"; weight {v['weight_kg']:.2f} kg"
                if v["weight_centile"] is not None:
                    summary += f" ({v['weight_centile']:.1f}th centile)"
            entries.append({"kind": "visit", "id": v["id"], "at": v["visited_at"], "by": v["visitor_name"],
                            "by_id": v["visitor_id"], "role": v["visitor_role"], "summary": summary,
                            "detail": v["observed_verbatim"] or "", "status": v["status"]})
    if "concern" in kinds:
        for c in concerns_data.for_child_with_recorder_name(db, child["id"]):
            if professional_id and c["recorded_by"] != professional_id:
                continue
            entries.append({"kind": "concern", "id": c["id"], "at": c["occurred_on"], "by": c["recorder_name"],
                            "by_id": c["recorded_by"], "role": c["reporter_role"], "summary": c["summary"],
                            "detail": c["source"], "agency": c["agency"], "status": "recorded"})
    if "action" in kinds:
        for a in actions_data.for_child_with_completer_name(db, child["id"]):
            if professional_id and a["owner_user_id"] != professional_id and a["completed_by"] != professional_id:
                continue
            entries.append({"kind": "action", "id": a["id"], "at": a["created_at"], "by": a["completed_by_name"] or "",
                            "by_id": a["completed_by"], "role": a["owner"], "summary": f"{a['rule_id']}: {a['title']}",
                            "detail": a["reasons"], "status": a["status"], "severity": a["severity"],
                            "due_at": a["due_at"], "source": a["source"]})
    if "referral" in kinds:
        for x in referrals_data.responses_for_child_with_referral(db, child["id"]):
            if professional_id and x["recorded_by"] != professional_id and x["referrer_id"] != professional_id:
                continue
            summary = REFERRAL_EVENT_WORDS.get(x["kind"], x["kind"])
            if x["kind"] == "decision":
                summary += f": {DECISION_WORDS.get(x['decision'], x['decision'])}"
            if x["hub_contact"]:
                summary += f" ({x['hub_contact']})"
            entries.append({"kind": "referral", "id": x["referral_id"], "at": x["at"], "by": x["recorder_name"] or "",
                            "by_id": x["recorded_by"], "role": x["kind"], "summary": summary,
                            "detail": x["reasons"] or "", "agency": x["agency"], "status": x["kind"]})
    if "strategy" in kinds:
        for s in referrals_data.strategies_for_child_with_recorder_name(db, child["id"]):
            if professional_id and s["recorded_by"] != professional_id:
                continue
            entries.append({"kind": "strategy", "id": s["id"], "at": s["held_at"], "by": s["recorder_name"],
                            "by_id": s["recorded_by"], "role": "", "status": s["decision"],
                            "summary": f"Strategy discussion: {DECISION_WORDS.get(s['decision'], s['decision'])}",
                            "detail": s["notes"], "referral_id": s["referral_id"]})
    entries.sort(key=lambda e: str(e["at"]), reverse=newest_first)
    return entries
