"""Weight against the UK-WHO growth charts: SDS, centiles, NICE NG75 warning signs and the weight chart.

Plain data in, plain data out: this module never imports Flask or sqlite_utils. The SDS come from the
RCPCH's rcpchgrowth library; what this module adds is the choice of chronological or corrected age, the
centile words a health visitor would write, the NG75 faltering-growth thresholds and a server-side SVG chart.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime
from functools import lru_cache
from html import escape

from dateutil.relativedelta import relativedelta
from rcpchgrowth import Measurement, measurement_from_sds, sds_for_measurement
from rcpchgrowth.global_functions import centile as centile_for_sds

REFERENCE = "uk-who"
CENTILE_SPACE = 2 / 3  # one centile space on the UK-WHO charts is 2/3 SD (RCPCH Fact Sheet 1)
TERM_WEEKS = 37
DAYS_PER_YEAR = 365.25  # the library's own year, so our ages in days map exactly onto its decimal ages
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
# The lowest age with UK-WHO weight data: 23 weeks of gestation, i.e. 17 weeks before term.
EARLIEST_REFERENCE_DAY = -119

# The nine UK-WHO centile lines: (centile, SDS, ordinal). Lines sit at whole multiples of 2/3 SD.
NINE_CENTILES = (
    (0.4, -8 / 3, "0.4th"),
    (2, -2.0, "2nd"),
    (9, -4 / 3, "9th"),
    (25, -2 / 3, "25th"),
    (50, 0.0, "50th"),
    (75, 2 / 3, "75th"),
    (91, 4 / 3, "91st"),
    (98, 2.0, "98th"),
    (99.6, 8 / 3, "99.6th"),
)

# Thresholds named in the rules (docs/rules.md R08-R10; NICE NG75 in docs/guidance.md).
BELOW_2ND_SDS = -2.0
BELOW_0_4TH_SDS = -2.67
NG75_BAND_SDS = 1.333  # the 9th and 91st centile lines, as the rules table writes them
# Centile-space falls are ratios of floats: without this a fall of exactly one space can compute as 0.9999999.
_FALL_EPSILON = 1e-9


# --- dates and the child ---------------------------------------------------------------------------------


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _child(child: dict) -> dict:
    # A gestation left blank is taken as 40+0, as the library and the form hint both do.
    weeks = child.get("gestation_weeks") or 40
    bw = child.get("birth_weight_kg")
    return {
        "sex": str(child["sex"]).lower(),
        "date_of_birth": _as_date(child["date_of_birth"]),
        "gestation_weeks": int(weeks),
        "gestation_days": int(child.get("gestation_days") or 0),
        "birth_weight_kg": float(bw) if bw not in (None, "") else None,
    }


def correction_ends_on(date_of_birth: date, gestation_weeks: int) -> date | None:
    """The date from which a preterm child's weight is read on chronological age again.

    Born at 32-36 weeks: correct until the first birthday; born before 32 weeks: until the second
    (RCPCH Fact Sheet 5, recalled). Born at 37 weeks or later: None, because term babies are never corrected.
    """
    if gestation_weeks >= TERM_WEEKS:
        return None
    years = 1 if gestation_weeks >= 32 else 2
    # relativedelta puts the birthday of a child born on 29 February on 28 February.
    return _as_date(date_of_birth) + relativedelta(years=years)


# --- SDS for one weight -----------------------------------------------------------------------------------


_SDS_KEYS = ("sds", "centile", "age_days", "corrected_age_days", "age_used", "error")


def _measure(sex: str, dob: date, weeks: int, days: int, on: date, kg: float) -> dict:
    return Measurement(
        birth_date=dob, observation_date=on, measurement_method="weight", observation_value=kg,
        reference=REFERENCE, sex=sex, gestation_weeks=weeks, gestation_days=days,
    ).measurement  # fmt: skip


def _plain(value) -> float | None:
    # The library hands back numpy floats; plain floats keep results JSON- and sqlite-friendly.
    return None if value is None else float(value)


def _ages(dob: date, weeks: int, days: int, on: date) -> tuple[int, int, str]:
    """Age in days on ``on``, the age corrected for prematurity, and which of the two the chart reads."""
    age_days = (on - dob).days
    # Only preterm babies are corrected: for UK-WHO the library corrects every baby to 40+0, so a
    # baby born at 41 weeks would otherwise be read a week older than they are.
    corrected_days = age_days - (280 - (weeks * 7 + days)) if weeks < TERM_WEEKS else age_days
    ends = correction_ends_on(dob, weeks)
    return age_days, corrected_days, "corrected" if ends is not None and on < ends else "chronological"


@lru_cache(maxsize=8192)
def _weight_sds_cached(sex: str, dob: date, weeks: int, days: int, on: date, kg: float) -> tuple:
    age_days, corrected_days, age_used = _ages(dob, weeks, days, on)
    if age_days < 0 or not kg > 0:
        why = "The weight date is before the date of birth." if age_days < 0 else "The weight must be more than 0 kg."
        return (None, None, age_days, corrected_days, "chronological", why)
    # The library's Measurement works out the SDS three times (about 1.4 ms); one direct lookup at the
    # age we chose is a third of that. The full Measurement is kept for the cases it explains better:
    # anything it might refuse, so its own error message reaches the practitioner.
    decimal_age = (corrected_days if age_used == "corrected" else age_days) / 365.25
    try:
        quick = float(sds_for_measurement(reference=REFERENCE, age=decimal_age, measurement_method="weight",
                                          observation_value=kg, sex=sex))
    except Exception:  # noqa: BLE001 - any refusal falls back to the full, explained calculation
        quick = None
    if quick is not None and abs(quick) <= 8 and decimal_age >= 0:
        return (quick, float(centile_for_sds(quick)), age_days, corrected_days, age_used, None)
    m = _measure(sex, dob, weeks, days, on, kg)
    values = m["measurement_calculated_values"]
    sds = values[f"{age_used}_sds"]
    error = m["child_observation_value"]["observation_value_error"]
    if error is None and sds is None:
        error = values[f"{age_used}_measurement_error"]
    return (_plain(sds), _plain(values[f"{age_used}_centile"]), age_days, corrected_days, age_used, error)


def weight_sds(sex, date_of_birth, gestation_weeks, gestation_days, measured_on, weight_kg) -> dict:
    """How a weight sits on the UK-WHO chart for the child's sex and age.

    Returns the SDS and centile (0-100), the chronological age in days, the age corrected for prematurity
    in days (the same as chronological for a baby born at 37 weeks or later), which age the SDS was read
    at ("chronological" or "corrected"), and an error: None, or why the weight could not be read or is
    implausible (the library's message, for example a weight above +8 SD).
    """
    key = (str(sex).lower(), _as_date(date_of_birth), int(gestation_weeks or 40), int(gestation_days or 0))
    return dict(zip(_SDS_KEYS, _weight_sds_cached(*key, _as_date(measured_on), float(weight_kg)), strict=True))


@lru_cache(maxsize=4096)
def _birth_weight_sds_cached(sex: str, weeks: int, days: int, kg: float, dob: date) -> float | None:
    if not kg > 0:
        return None
    return _plain(_measure(sex, dob, weeks, days, dob, kg)["measurement_calculated_values"]["corrected_sds"])


def birth_weight_sds(sex, gestation_weeks, gestation_days, birth_weight_kg, date_of_birth) -> float | None:
    """The birth-weight SDS for the baby's gestation (the starting centile for NG75 falls).

    Every baby, term or preterm, is compared with babies born at the same gestation: 2.0 kg at 35+2 weeks
    is about -1.34 SD. None when there is no birth weight or the gestation is outside the UK-WHO data.
    """
    if birth_weight_kg in (None, ""):
        return None
    key = (str(sex).lower(), int(gestation_weeks or 40), int(gestation_days or 0))
    return _birth_weight_sds_cached(*key, float(birth_weight_kg), _as_date(date_of_birth))


def weight_plausibility(child: dict, measured_on, weight_kg) -> str:
    """Whether a weight just typed in can be saved: "ok", "confirm" (beyond 4 SD: ask the visitor to
    check it) or "impossible" (the library rejects it or it is beyond 8 SD, like grams typed as kilograms)."""
    c = _child(child)
    r = weight_sds(c["sex"], c["date_of_birth"], c["gestation_weeks"], c["gestation_days"], measured_on, weight_kg)
    if r["error"] is not None or r["sds"] is None or abs(r["sds"]) > 8:
        return "impossible"
    if abs(r["sds"]) > 4:
        return "confirm"
    return "ok"


# --- words and NICE NG75 ----------------------------------------------------------------------------------


def centile_in_words(sds: float | None) -> str | None:
    """The centile as a health visitor would record it: "on the 50th centile" within a quarter of a
    centile space of a line (RCPCH guidance), otherwise "between the 9th and 25th centiles", or below the
    0.4th / above the 99.6th. None when there is no SDS."""
    if sds is None:
        return None
    quarter = CENTILE_SPACE / 4
    if sds < NINE_CENTILES[0][1] - quarter:
        return "below the 0.4th centile"
    if sds > NINE_CENTILES[-1][1] + quarter:
        return "above the 99.6th centile"
    for _, line, name in NINE_CENTILES:
        if abs(sds - line) <= quarter:
            return f"on the {name} centile"
    lower = max(i for i, (_, line, _) in enumerate(NINE_CENTILES) if line < sds)
    return f"between the {NINE_CENTILES[lower][2]} and {NINE_CENTILES[lower + 1][2]} centiles"


def centile_spaces_fallen(from_sds: float | None, to_sds: float | None) -> float | None:
    """How many centile spaces the weight has fallen between two SDS (negative means it has risen)."""
    if from_sds is None or to_sds is None:
        return None
    return (from_sds - to_sds) / CENTILE_SPACE


def ng75_fall_concern(bw_sds: float | None, sds: float | None) -> bool:
    """NICE NG75 §1.2.1: a fall of 1 or more centile spaces from a birth weight below the 9th centile,
    2 or more from the 9th-91st, or 3 or more from above the 91st is a concern."""
    if bw_sds is None or sds is None:
        return False
    fall = (bw_sds - sds) / CENTILE_SPACE
    if bw_sds < -NG75_BAND_SDS:
        needed = 1
    elif bw_sds <= NG75_BAND_SDS:
        needed = 2
    else:
        needed = 3
    return fall >= needed - _FALL_EPSILON


def completed_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (``end`` on or after ``start``), exactly as dateutil's
    relativedelta counts them (a month from 31 January ends on 28 February), without its cost per weight."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if min(start.day, calendar.monthrange(end.year, end.month)[1]) > end.day:
        months -= 1
    return months


def reweigh_interval_days(date_of_birth, measured_on) -> int:
    """When there is a growth concern, the shortest gap before weighing again (NG75, recalled): daily under
    1 month, weekly from 1 to 6 months, fortnightly from 6 to 12 months, monthly from 1 year.
    Age is chronological, in completed calendar months."""
    months = completed_months(_as_date(date_of_birth), _as_date(measured_on))
    if months < 1:
        return 1
    if months < 6:
        return 7
    if months < 12:
        return 14
    return 30


def _grams(kg: float) -> int:
    # Whole grams make "lost more than 10%" and "below birth weight" exact comparisons.
    return round(float(kg) * 1000)


# --- the child's weights over time ------------------------------------------------------------------------


def growth_series(child: dict, measurements: list[dict]) -> list[dict]:
    """Every recorded weight of the child, oldest first, with its SDS, centile in words, the change since
    birth and since the previous weight, and the NICE NG75 warning signs the rules act on."""
    c = _child(child)
    dob, bw = c["date_of_birth"], c["birth_weight_kg"]
    bw_sds = birth_weight_sds(c["sex"], c["gestation_weeks"], c["gestation_days"], bw, dob) if bw else None
    weighed = [m for m in measurements if m.get("weight_kg") not in (None, "")]
    weighed.sort(key=lambda m: _as_date(m["measured_on"]))  # stable: same-day weights keep their order
    series: list[dict] = []
    for m in weighed:
        on, kg = _as_date(m["measured_on"]), float(m["weight_kg"])
        r = weight_sds(c["sex"], dob, c["gestation_weeks"], c["gestation_days"], on, kg)
        sds, age_days = r["sds"], r["age_days"]
        prev = series[-1] if series else None
        loss_over_10 = not_back = False
        change_pct = None
        if bw:
            change_pct = round((kg - bw) / bw * 100, 2)
            loss_over_10 = 0 <= age_days <= 21 and (_grams(bw) - _grams(kg)) * 10 > _grams(bw)
            not_back = age_days >= 21 and _grams(kg) < _grams(bw)
        series.append(
            {
                "visit_id": m.get("visit_id"),
                "measured_on": on.isoformat(),
                "weight_kg": kg,
                "weight_clothing": m.get("weight_clothing"),
                "sds": sds,
                "centile": r["centile"],
                "centile_band_words": centile_in_words(sds),
                "age_days": age_days,
                "corrected_age_days": r["corrected_age_days"],
                "age_used": r["age_used"],
                "plotted_age_days": r["corrected_age_days"] if r["age_used"] == "corrected" else age_days,
                "error": r["error"],
                "bw_sds": bw_sds,
                "birth_weight_kg": bw,
                "centile_spaces_fallen_since_birth": centile_spaces_fallen(bw_sds, sds),
                "centile_spaces_fallen_since_previous": centile_spaces_fallen(prev["sds"], sds) if prev else None,
                "previous_weight_kg": prev["weight_kg"] if prev else None,
                "previous_measured_on": prev["measured_on"] if prev else None,
                "previous_weight_clothing": prev["weight_clothing"] if prev else None,
                "weight_change_since_birth_pct": change_pct,
                "below_2nd": sds is not None and sds < BELOW_2ND_SDS,
                "below_0_4th": sds is not None and sds < BELOW_0_4TH_SDS,
                "ng75_fall_concern": ng75_fall_concern(bw_sds, sds),
                "early_weight_loss_over_10pct": loss_over_10,
                "not_back_to_birth_weight": not_back,
                "reweigh_interval_days": reweigh_interval_days(dob, on) if age_days >= 0 else None,
            }
        )
    return series


def stored_series(child: dict, stored: list[dict]) -> list[dict]:
    """The child's weights for the chart and the record from the growth stored when each visit was
    submitted (``weight_sds``, ``weight_centile``, ``centile_spaces_fallen_since_birth``), not worked out
    again: the record shows exactly what the rules acted on. Oldest first, in ``growth_series``'s shape for
    what a chart and the record read; a weight whose SDS could not be read at submit is not plotted."""
    c = _child(child)
    points = []
    for row in sorted((r for r in stored if r.get("weight_kg") not in (None, "")),
                      key=lambda r: _as_date(r["measured_on"])):
        on = _as_date(row["measured_on"])
        age_days, corrected_days, age_used = _ages(c["date_of_birth"], c["gestation_weeks"], c["gestation_days"], on)
        if age_days < 0:
            age_used = "chronological"  # as weight_sds reports a weight dated before birth
        sds = row.get("weight_sds")
        points.append({
            "visit_id": row.get("visit_id"), "measured_on": on.isoformat(), "weight_kg": float(row["weight_kg"]),
            "weight_clothing": row.get("weight_clothing"), "sds": sds, "centile": row.get("weight_centile"),
            "centile_band_words": centile_in_words(sds), "age_days": age_days,
            "corrected_age_days": corrected_days, "age_used": age_used,
            "plotted_age_days": corrected_days if age_used == "corrected" else age_days,
            "error": None if sds is not None else "The weight could not be read against the chart when it was recorded.",
            "centile_spaces_fallen_since_birth": row.get("centile_spaces_fallen_since_birth"),
            "below_2nd": sds is not None and sds < BELOW_2ND_SDS,
            "below_0_4th": sds is not None and sds < BELOW_0_4TH_SDS,
        })
    return points


def weight_facts(child: dict, measurements: list[dict], visit_id) -> dict | None:
    """The growth facts for the weight taken at one visit (the rules' input), or None if no weight was
    recorded at that visit. The facts compare it with birth and with the weight before it."""
    weighed = [m for m in measurements if m.get("weight_kg") not in (None, "")]
    weighed.sort(key=lambda m: _as_date(m["measured_on"]))  # as growth_series orders them
    at = [i for i, m in enumerate(weighed) if m.get("visit_id") == visit_id]
    if not at:
        return None
    last = at[-1]  # the last weight of the visit if it was weighed twice
    # An entry depends on its own weight and the one before it only, so two weights give the same facts as
    # the child's whole series, and a child with years of weights costs no more to check than a new baby.
    return growth_series(child, weighed[max(0, last - 1):last + 1])[-1]


# --- centile lines ----------------------------------------------------------------------------------------

# UK-WHO is stitched from UK90 (to 2 weeks after term), WHO 2006 (to 4 years) and UK90 again: the lines
# jump at those ages, so each line is drawn in pieces that end and start on either side of a join.
_JOINS_DAYS = (14.0, 730.5, 1461.0)


@lru_cache(maxsize=64)
def _centile_lines_cached(sex: str, start: float, end: float, points: int) -> tuple:
    start = max(start, float(EARLIEST_REFERENCE_DAY))
    cuts = [start] + [j for j in _JOINS_DAYS if start < j < end] + [end]
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        n = max(2, math.ceil(points * (b - a) / (end - start)))
        ages = [a + (b - a) * i / (n - 1) for i in range(n)]
        pieces.append((ages, b in _JOINS_DAYS))
    lines = []
    for centile, sds, name in NINE_CENTILES:
        segments = []
        for ages, ends_at_join in pieces:
            seg = []
            for i, day in enumerate(ages):
                # At a join the end of the earlier piece must use the younger reference.
                younger = ends_at_join and i == len(ages) - 1
                kg = measurement_from_sds(
                    REFERENCE, sds, "weight", sex, day / DAYS_PER_YEAR, default_youngest_reference=younger
                )
                if kg is not None:
                    seg.append((day, kg))
            segments.append(tuple(seg))
        lines.append({"centile": centile, "sds": sds, "name": name, "segments": tuple(segments)})
    return tuple(lines)


def centile_lines(sex: str, age_from_days: float, age_to_days: float, points: int = 73) -> list[dict]:
    """The nine UK-WHO weight centile lines (0.4th to 99.6th) between two ages.

    Ages are in days from term for corrected ages, or from birth for chronological ages (0 is the same
    point on the chart). Each line is {centile, sds, name, segments}, where segments are runs of
    (age_days, weight_kg): the chart's data sources change at 2 weeks, 2 years and 4 years, so the
    lines break there.
    """
    lines = _centile_lines_cached(str(sex).lower(), float(age_from_days), float(age_to_days), int(points))
    return [dict(line, segments=[list(s) for s in line["segments"]]) for line in lines]


# --- the weight chart -------------------------------------------------------------------------------------

# GOV.UK blue for boys and a dark pink for girls: both keep 3:1 contrast on white for the lines.
_SEX_COLOUR = {"male": "#1d70b8", "female": "#b0246c"}
_INK, _GREY, _GRID = "#0b0c0c", "#505a5f", "#dee0e2"


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _kg_text(kg: float) -> str:
    text = f"{kg:.3f}".rstrip("0")
    return f"{text}0 kg" if text.endswith(".") else f"{text} kg"


def _chart_span(ages: list[float]) -> tuple[float, float]:
    earliest, latest = min(ages, default=0.0), max(ages, default=0.0)
    start = 0.0 if earliest >= 0 else max(float(EARLIEST_REFERENCE_DAY), math.floor(earliest / 28) * 28.0)
    for years in (1, 2, 4):
        if latest <= years * DAYS_PER_YEAR - 30:  # a month's room so the latest weight is not on the edge
            return start, years * DAYS_PER_YEAR
    return start, min(20, math.ceil((latest + 60) / DAYS_PER_YEAR)) * DAYS_PER_YEAR


def _x_ticks(start: float, end: float, px_per_day: float) -> list[tuple[float, str]]:
    years = round(end / DAYS_PER_YEAR)
    if years <= 4:
        step = {1: 1, 2: 2, 4: 6}[years]
        ticks = [(k * DAYS_PER_MONTH, str(k)) for k in range(0, years * 12 + 1, step)]
    else:
        ticks = [(k * DAYS_PER_YEAR, str(k)) for k in range(0, years + 1)]
    # Before term the chart is read in weeks of gestation, as on the RCPCH preterm section.
    step_days = 28 if 28 * px_per_day >= 34 else 56
    ticks += [(-d, f"{40 - d // 7} wk") for d in range(step_days, int(-start) + 1, step_days)]
    return ticks


def weight_chart_svg(
    child: dict,
    series: list[dict],
    width: int = 640,
    height: int = 420,
    chart_id: str = "weight-chart",
    *,
    drawn_title: bool = True,
) -> str:
    """The child's weights drawn on the UK-WHO weight-for-age chart for their sex, as an SVG image.

    Shows the nine centile lines (labelled at the right, 50th in bold), every weight from `growth_series`
    joined in date order with the latest ringed, and a text description for screen readers. A preterm
    child is plotted on corrected age while correction applies. Plain SVG 1.1 with presentation
    attributes only, so it passes the Content-Security-Policy and prints through WeasyPrint.
    With ``drawn_title=False`` the title is not drawn above the plot (the printed record names the chart in
    its own heading; the SVG keeps its <title> for screen readers) and the plot takes its place.
    """
    c = _child(child)
    colour = _SEX_COLOUR.get(c["sex"], _GREY)
    boy_girl = "boy" if c["sex"] == "male" else "girl"
    plotted, skipped = [], 0
    for e in series:
        if e.get("sds") is None or e.get("error"):
            skipped += 1
            continue
        plotted.append((float(e["plotted_age_days"]), float(e["weight_kg"]), e))
    start, end = _chart_span([a for a, _, _ in plotted])
    lines = centile_lines(c["sex"], start, end)
    kgs = [kg for line in lines for seg in line["segments"] for _, kg in seg] + [w for _, w, _ in plotted]
    step = next(s for s in (0.5, 1, 2, 5, 10) if (max(kgs) - min(kgs)) / s <= 12)
    lo, hi = max(0.0, math.floor(min(kgs) / step) * step), math.ceil(max(kgs) / step) * step
    left, right, top, bottom = 52.0, width - 62.0, 34.0 if drawn_title else 14.0, height - 50.0

    def sx(day: float) -> float:
        return left + (day - start) / (end - start) * (right - left)

    def sy(kg: float) -> float:
        return top + (hi - kg) / (hi - lo) * (bottom - top)

    def f(v: float) -> str:
        return f"{v:.1f}"

    corrected = any(e.get("age_used") == "corrected" for _, _, e in plotted)
    title = f"Weight-for-age chart (UK-WHO), {boy_girl}"
    span_words = f"{round(end / DAYS_PER_YEAR)} year{'s' if end > DAYS_PER_YEAR + 1 else ''}"
    span_words = (f"{40 + math.ceil(start / 7)} weeks of gestation" if start < 0 else "birth") + f" to {span_words}"
    desc = [
        f"UK-WHO weight-for-age chart for a {boy_girl} from {span_words}, with the nine centile lines "
        "from the 0.4th to the 99.6th."
    ]
    if plotted:
        first, last = plotted[0][2], plotted[-1][2]
        desc.append(
            f"{len(plotted)} weight{'s' if len(plotted) > 1 else ''} recorded from "
            f"{_long_date(_as_date(first['measured_on']))} to {_long_date(_as_date(last['measured_on']))}. "
            f"The latest, {_kg_text(last['weight_kg'])} on {_long_date(_as_date(last['measured_on']))}, "
            f"is {last.get('centile_band_words') or centile_in_words(last['sds'])}."
        )
    else:
        desc.append("No weights have been recorded.")
    if corrected and (ends := correction_ends_on(c["date_of_birth"], c["gestation_weeks"])):
        desc.append(
            f"Born at {c['gestation_weeks']}+{c['gestation_days']} weeks, so weights are plotted on age "
            f"corrected for prematurity until {_long_date(ends)} and on actual age after that."
        )
    if skipped:
        desc.append(f"{skipped} weight{'s' if skipped > 1 else ''} could not be read against the chart: not plotted.")

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" class="growth-chart" font-family="Arial, Helvetica, sans-serif">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(" ".join(desc))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *([f'<text x="{f(left)}" y="20" font-size="14" font-weight="bold" fill="{_INK}">{escape(title)}</text>']
          if drawn_title else []),
        f'<g stroke="{_GRID}" stroke-width="1">',
    ]
    ticks = _x_ticks(start, end, (right - left) / (end - start))
    for day, _ in ticks:
        out.append(f'<line x1="{f(sx(day))}" y1="{f(top)}" x2="{f(sx(day))}" y2="{f(bottom + 4)}"/>')
    y_values = [lo + i * step for i in range(round((hi - lo) / step) + 1)]
    for kg in y_values:
        out.append(f'<line x1="{f(left - 4)}" y1="{f(sy(kg))}" x2="{f(right)}" y2="{f(sy(kg))}"/>')
    out.append(
        f'</g><rect x="{f(left)}" y="{f(top)}" width="{f(right - left)}" height="{f(bottom - top)}" fill="none" '
        f'stroke="{_GREY}" stroke-width="1"/><g fill="none" stroke="{colour}" stroke-linejoin="round">'
    )
    for line in lines:
        d = " ".join("M" + " L".join(f"{f(sx(a))},{f(sy(kg))}" for a, kg in seg) for seg in line["segments"] if seg)
        extra = ' stroke-dasharray="5 3"' if line["centile"] in (0.4, 99.6) else ""
        out.append(
            f'<path class="centile centile-{line["name"][:-2]}" d="{d}" '
            f'stroke-width="{2.5 if line["centile"] == 50 else 1.2}"{extra}/>'
        )
    out.append("</g>")
    # Centile names at the right edge, nudged apart where the lines run close together.
    label_y = sorted((sy(line["segments"][-1][-1][1]), line["name"]) for line in lines)
    for i in range(1, len(label_y)):
        label_y[i] = (max(label_y[i][0], label_y[i - 1][0] + 12), label_y[i][1])
    out.append(f'<g font-size="11" fill="{_INK}">')
    for y, name in label_y:
        bold = ' font-weight="bold"' if name == "50th" else ""
        out.append(
            f'<text class="centile-label" x="{f(right + 5)}" y="{f(min(y, height - 4) + 4)}"{bold}>{name}</text>'
        )
    for day, label in ticks:
        out.append(f'<text x="{f(sx(day))}" y="{f(bottom + 17)}" text-anchor="middle">{escape(label)}</text>')
    for kg in y_values:
        out.append(f'<text x="{f(left - 7)}" y="{f(sy(kg) + 4)}" text-anchor="end">{kg:g}</text>')
    out.append("</g>")
    x_title = ("Corrected age" if corrected else "Age") + (" (months)" if end <= 4 * DAYS_PER_YEAR + 1 else " (years)")
    cy = (top + bottom) / 2
    out.append(
        f'<g font-size="12" fill="{_INK}"><text x="{f((left + right) / 2)}" y="{f(height - 12)}" '
        f'text-anchor="middle">{x_title}</text><text x="14" y="{f(cy)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {f(cy)})">Weight (kg)</text></g>'
    )
    if len(plotted) > 1:
        pts = " ".join(f"{f(sx(a))},{f(sy(kg))}" for a, kg, _ in plotted)
        out.append(f'<polyline class="weight-line" points="{pts}" fill="none" stroke="{_INK}" stroke-width="1.5"/>')
    for i, (a, kg, _) in enumerate(plotted):
        latest = i == len(plotted) - 1
        out.append(
            f'<circle class="weight-point{" latest" if latest else ""}" cx="{f(sx(a))}" cy="{f(sy(kg))}" '
            f'r="{5 if latest else 3.5}" fill="{_INK}" stroke="#ffffff" stroke-width="1"/>'
        )
    if plotted:
        a, kg, _ = plotted[-1]
        x, y, text = sx(a), sy(kg), _kg_text(kg)
        out.append(
            f'<circle class="latest-ring" cx="{f(x)}" cy="{f(y)}" r="9" fill="none" stroke="{_INK}" '
            'stroke-width="1.5"/>'
        )
        w = len(text) * 7.2 + 6
        tx = x + 13 if x + 13 + w < right else x - 13 - w
        ty = y - 12 if y - 28 > top else y + 26
        out.append(
            f'<rect x="{f(tx)}" y="{f(ty - 13)}" width="{f(w)}" height="17" fill="#ffffff" '
            f'stroke="{_INK}" stroke-width="1"/><text x="{f(tx + 3)}" y="{f(ty)}" font-size="12" '
            f'font-weight="bold" fill="{_INK}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
