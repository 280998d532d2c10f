"""The printed visit record: PDF/A-3b content, embedded data, signatures, tamper evidence, no fetching."""

from __future__ import annotations

import asyncio
import io
import json
import re
import resource
import shutil
import socket
import stat
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from PIL import Image, ImageChops, ImageDraw, ImageStat
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from weasyprint import CSS, HTML

from homevisit.domain import growth
from homevisit.domain.answers import answer_sections
from homevisit.domain.dictionary import BOOL, CHOICE, DATE, DATETIME, DECIMAL, INT, MULTI, TEXT, VISIT_FIELDS
from homevisit.records import signing
from homevisit.records.records import (
    RecordError,
    RecordHTML,
    StrictURLFetcher,
    URLRefused,
    _answer_groups,
    _fact_groups,
    html_to_pdf,
    render_batch,
    render_record_html,
    render_record_pdf,
    render_signed_record,
)
from homevisit.records.signatures import clean_signature_png
from homevisit.records.signing import (
    HTTPTimestampAuthority,
    SigningError,
    init_signing,
    load_signer,
    sign_pdf,
    signature_space,
    trusted_certificates,
    verify_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "records"
RECORD_ID = "6f0b1c2e-8d3a-4f5b-9c7d-2e1a0b3c4d5e"
INJECTION = '<img src="file:///etc/passwd"> <style>body{background:url(http://127.0.0.1:9/)}</style>'

SENTENCES = (
    "At {t} the mother, Ms Carter, opened the door holding the baby on her hip and said the baby had been "
    "crying since the early hours.",
    "I saw the baby in the living room on a changing mat on the floor; she followed my face and smiled.",
    "The father, Mr Hughes, said he had been out working nights and had not seen any marks on the baby.",
    "The kitchen had a working fridge containing two bottles of made-up formula dated yesterday.",
    "I asked to see where the baby sleeps and was shown a cot in the parents' bedroom with a pillow in it.",
    "The mother said the bruise on the left cheek happened when the baby rolled against the cot bars.",
    "I explained that a baby who is not yet crawling does not usually bruise, and that I would need to share "
    "this with children's social care today.",
    "The mother became tearful and said she was struggling with money and had not slept properly for weeks.",
)


def long_note(length: int, label: str) -> str:
    """Realistic free text of about ``length`` characters, ending with a sentence unique to ``label``."""
    ending = f" This is the end of the {label} note, recorded in full."
    parts: list[str] = []
    n = 0
    while sum(len(p) + 1 for p in parts) + len(ending) < length - 200:
        hour, minute = divmod(14 * 60 + 30 + n, 60)
        parts.append(SENTENCES[n % len(SENTENCES)].format(t=f"{hour:02d}:{minute:02d}"))
        n += 1
        if n % 5 == 0:
            parts.append("\n\n")
    return (" ".join(parts) + ending).replace(" \n\n ", "\n\n")


LONG_NOTES = {
    "observed_verbatim": long_note(8000, "seen and heard"),
    "interpretation": long_note(8000, "professional view"),
    "day_in_the_life": long_note(4000, "day in the life"),
    "child_words_or_behaviour": long_note(4000, "child's voice"),
}


def full_visit(extra_note: str = "") -> dict[str, Any]:
    """A visit with every section answered, a few items not observed, 3 marks and 2 people present."""
    visit: dict[str, Any] = {}
    not_observed = {"interpreter_used", "rolls", "gcp2_esteem", "father_height_cm"}
    for n, f in enumerate(VISIT_FIELDS):
        if f.name in not_observed:
            visit[f.name] = None
        elif f.kind == BOOL:
            visit[f.name] = n % 3 != 0
        elif f.kind == CHOICE:
            visit[f.name] = f.values[1] if len(f.values) > 1 else f.values[0]
        elif f.kind == MULTI:
            visit[f.name] = [v for v in f.values if v != "none"][:2]
        elif f.kind == INT:
            visit[f.name] = int(f.minimum or 0) + 1
        elif f.kind == DECIMAL:
            visit[f.name] = round(((f.minimum or 0) + (f.maximum or 0)) / 2, f.places)
        elif f.kind == DATE:
            visit[f.name] = "2026-11-20"
        elif f.kind == DATETIME:
            visit[f.name] = "2026-11-26T14:30:00"
        elif f.kind == TEXT:
            visit[f.name] = LONG_NOTES.get(f.name, f"Recorded answer for {f.question.rstrip('?').lower()}.")
    visit["child_seen"] = "awake"
    visit["access_outcome"] = "visited"  # a visit that went ahead (else the pages about the home are skipped)
    visit["weight_kg"] = 6.85
    visit["account_consistency"] = "The parents gave different accounts of the bruise. " + extra_note
    visit["carers_present"] = [
        {
            "role": "mother",
            "name": "Jade Carter",
            "parental_responsibility": True,
            "lives_here": True,
            "present_throughout": True,
        },
        {
            "role": "partner_of_parent",
            "name": "Ryan Hughes",
            "parental_responsibility": False,
            "lives_here": None,
            "present_throughout": False,
        },
    ]
    visit["injuries"] = [
        {
            "type": "bruise",
            "body_site": "face",
            "size_mm": 15,
            "pattern": "grip",
            "count": 2,
            "clustered": True,
            "colour": "Blue-purple",
            "explanation": "Rolled against the cot bars, according to the mother.",
            "explanation_given_by": "Mother",
            "explanation_assessment": "unsuitable",
            "first_noticed_date": "2026-11-24",
            "medical_help_sought": False,
            "medical_help_date": None,
            "photo_taken": True,
            "known_medical_condition": "none",
        },
        {
            "type": "petechiae",
            "body_site": "neck",
            "size_mm": 5,
            "pattern": "none",
            "count": 6,
            "clustered": True,
            "colour": "Red pinpoint",
            "explanation": None,
            "explanation_given_by": None,
            "explanation_assessment": "none",
            "first_noticed_date": None,
            "medical_help_sought": None,
            "medical_help_date": None,
            "photo_taken": False,
            "known_medical_condition": None,
        },
        {
            "type": "abrasion",
            "body_site": "left_forearm",
            "size_mm": 30,
            "pattern": "stick",
            "count": 1,
            "clustered": False,
            "colour": "Pink, healing",
            "explanation": "Scratched by the cat, the father said. The mother said there is no cat.",
            "explanation_given_by": "Father and mother",
            "explanation_assessment": "inconsistent",
            "first_noticed_date": "2026-11-22",
            "medical_help_sought": False,
            "medical_help_date": None,
            "photo_taken": True,
            "known_medical_condition": "none",
        },
    ]
    return visit


def signature_png() -> bytes:
    """A signature drawn with Pillow as the app's signature pad would (its pen is #0b0c0c) on a transparent
    canvas, at a high-density tablet's two device pixels to a CSS pixel (a 600 x 200 box as 1200 x 400)."""
    image = Image.new("RGBA", (1200, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [
        (40, 140),
        (70, 60),
        (95, 150),
        (120, 70),
        (150, 140),
        (175, 95),
        (210, 120),
        (240, 80),
        (270, 135),
        (300, 90),
        (330, 125),
        (370, 70),
        (400, 140),
        (440, 100),
        (480, 120),
        (540, 85),
    ]
    draw.line([(2 * x, 2 * y) for x, y in points], fill=(11, 12, 12, 255), width=10, joint="curve")
    draw.line([(120, 330), (1040, 300)], fill=(11, 12, 12, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return clean_signature_png(out.getvalue())


CHILD_FOR_CHART = {"sex": "female", "date_of_birth": "2026-05-14", "gestation_weeks": 40, "birth_weight_kg": 3.4}
WEIGHTS = [("2026-05-14", 3.4), ("2026-05-26", 3.6), ("2026-06-24", 4.6), ("2026-07-22", 5.3),
           ("2026-09-16", 6.2), ("2026-10-21", 6.6), ("2026-11-26", 6.85)]


def chart_svg() -> str:
    """The app's own weight chart (UK-WHO centile lines and seven weights), as the view puts in a record."""
    series = growth.growth_series(CHILD_FOR_CHART, [{"measured_on": d, "weight_kg": kg} for d, kg in WEIGHTS])
    return growth.weight_chart_svg(CHILD_FOR_CHART, series, chart_id="record-chart", drawn_title=False)


ACTIONS = [
    (
        "BR-01",
        "Refer to children's social care (MASH) today",
        "Immediate",
        "Today by 17:00",
        "Working Together to Safeguard Children 2023, chapter 2",
    ),
    (
        "BR-02",
        "Arrange a paediatric assessment of the bruising",
        "Immediate",
        "Today",
        "NICE CG89 (child maltreatment), 1.2.6; local bruising protocol",
    ),
    (
        "SS-04",
        "Give safer sleep advice and remove the pillow from the cot",
        "Urgent",
        "At this visit",
        "Lullaby Trust safer sleep guidance",
    ),
    (
        "GR-02",
        "Weigh the baby again on a class III scale",
        "Urgent",
        "Within 7 days, by 3 December 2026",
        "RCPCH UK-WHO growth chart guidance",
    ),
    ("FD-01", "Offer a food bank referral", "Routine", "Within 5 working days", "Local rule FD-01"),
    (
        "GP-01",
        "Tell the GP about this visit",
        "Routine",
        "Within 2 working days",
        "Local information sharing agreement, section 4",
    ),
    (
        "SU-01",
        "Discuss the family at safeguarding supervision",
        "Urgent",
        "Within 3 working days",
        "Local supervision policy",
    ),
    (
        "JV-01",
        "Book a joint visit with the allocated social worker",
        "Routine",
        "Within 10 working days",
        "Child Safeguarding Practice Review Panel, 'The Myth of Invisible Men' (2021)",
    ),
]


def full_record(
    record_id: str = RECORD_ID, extra_note: str = "", *, growth: bool = True, addendum_of: str | None = None
) -> dict[str, Any]:
    """A complete record dict, as the view builds it, for a visit with everything answered."""
    visit = full_visit(extra_note)
    return {
        "organisation": "Northshire Community Health NHS Trust",
        "service_name": "Home Visit Toolkit",
        "record_id": record_id,
        "marking": "OFFICIAL-SENSITIVE",
        "child": {
            "given_name": "Amelia",
            "family_name": "Carter-Hughes",
            "date_of_birth": "2026-05-14",
            "sex": "female",
            "nhs_number": "9434765919",
            "age_words": "6 months 12 days",
        },
        "visit": {
            "visited_at_words": "26 November 2026 at 14:30",
            "visitor_name": "Priya Natarajan",
            "visitor_role_words": "Health visitor",
        },
        "sections": answer_sections(visit),
        "growth": {
            "weight_kg": 6.85,
            "sds": -1.62,
            "centile": 5.3,
            "words": "between the 2nd and 9th centiles",
            "centile_spaces_fallen_since_birth": 2,
            "chart_svg": chart_svg(),
        }
        if growth
        else None,
        "actions": [
            {
                "rule_id": rule_id,
                "title": title,
                "severity_words": severity,
                "due_words": due,
                "owner_words": "Priya Natarajan, health visitor" if n % 2 == 0 else "Duty social worker, Northshire",
                "status_words": "Open" if n % 3 else "Done at the visit",
                "source": source,
                "action": f"{title}. Record what was done and when in the child's record.",
            }
            for n, (rule_id, title, severity, due, source) in enumerate(ACTIONS)
        ],
        "signature": {
            "png": signature_png(),
            "name": "Priya Natarajan",
            "role_words": "Health visitor",
            "signed_at_words": "26 November 2026 at 16:05",
            "declaration": "I confirm this is a true and accurate record of what I saw, heard and did "
            "on this visit, made as soon as practicable afterwards.",
        },
        "addendum_of": addendum_of,
        "visit_json": json.dumps(visit, sort_keys=True, ensure_ascii=False).encode("utf-8"),
    }


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("static")
    (folder / "css").mkdir()
    (folder / "css" / "ok.css").write_text("p { color: black }", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def signing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("instance") / "signing"
    init_signing(folder, "Northshire Community Health NHS Trust")
    return folder


@pytest.fixture(scope="module")
def signer(signing_dir: Path) -> Any:
    return load_signer(signing_dir)


@pytest.fixture(scope="module")
def trusted(signing_dir: Path) -> list[Any]:
    return trusted_certificates(signing_dir)


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    return full_record()


@pytest.fixture(scope="module")
def unsigned_pdf(record: dict[str, Any], static_dir: Path) -> bytes:
    return render_record_pdf(record, static_dir)


@pytest.fixture(scope="module")
def signed_pdf(record: dict[str, Any], static_dir: Path, signer: Any) -> bytes:
    return render_signed_record(record, static_dir, signer)


def pdf_text(pdf: bytes, tmp_path: Path, *pages: int, layout: bool = False) -> str:
    """pdftotext output (poppler) in drawing order, or as laid out on the page; optionally one page only."""
    source = tmp_path / "record.pdf"
    source.write_bytes(pdf)
    args = ["pdftotext", "-layout" if layout else "-raw"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[0])]
    return subprocess.run([*args, str(source), "-"], check=True, capture_output=True, text=True).stdout


def words(text: str) -> str:
    return " ".join(text.split())


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


# --------------------------------------------------------------------------------------------- content
def test_text_has_child_observations_and_every_action(
    signed_pdf: bytes, record: dict[str, Any], tmp_path: Path
) -> None:
    text = words(pdf_text(signed_pdf, tmp_path))
    assert "Amelia Carter-Hughes" in text
    assert "943 476 5919" in text
    assert "14 May 2026" in text
    assert "26 November 2026 at 14:30" in text and "Priya Natarajan" in text
    for section in record["sections"]:
        assert section["title"] in text
        for row in section["rows"]:
            if len(row["value"]) < 80:
                assert words(row["question"]) in text, row["question"]
                assert words(row["value"]) in text, row["value"]
    assert "Moses basket" in text and "Blue-purple" in text and "Ryan Hughes" in text
    for action in record["actions"]:
        assert words(action["title"]) in text, action["title"]
    assert "between the 2nd and 9th centiles".capitalize() in text
    # the chart is named once, by the record's heading (the SVG's own drawn title would repeat it)
    assert "Weight for age: Amelia Carter-Hughes, on the UK-WHO chart for girls" in text
    assert "Weight-for-age chart (UK-WHO)" not in text
    assert record["signature"]["declaration"] in text
    assert RECORD_ID in text


def test_not_observed_is_marked_differently_from_no(record: dict[str, Any]) -> None:
    html = render_record_html(record)
    assert '<span class="not-observed">Not observed</span>' in html
    assert "<b>No</b>" in html
    assert '<span class="not-observed">No</span>' not in html


def answer_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for section in record["sections"]
            for row in section["rows"] + [r for item in section.get("items", []) for r in item["rows"]]]


def test_answers_that_may_wrap_get_a_paragraph_of_their_own() -> None:
    def row(question: str, value: str, observed: bool = True) -> dict[str, Any]:
        return {"question": question, "value": value, "observed": observed}

    rows = [row("Did you see the child?", "Yes"), row("Was an interpreter used?", "Not observed", False),
            row("What did you see?", "A long answer that runs well past the width of one line of the record, "
                                     "with more words after that so that it must wrap."),
            row("Name", "W" * 56), row("Name", "W" * 40), row("Notes", "x" * 300), row("Sex", "Female")]
    assert _answer_groups(rows) == [
        ("list", [("run", rows[0:2]), ("row", rows[2]), ("row", rows[3]), ("run", [rows[4]])]),
        ("long", rows[5]),
        ("list", [("run", [rows[6]])]),
    ]


def test_answers_run_together_are_each_on_one_line_of_the_page(signed_pdf: bytes, record: dict[str, Any],
                                                                tmp_path: Path) -> None:
    lines = {words(line) for line in pdf_text(signed_pdf, tmp_path, layout=True).splitlines()}
    listed = [row for section in record["sections"]
              for row in section["rows"] + [r for item in section.get("items", []) if section["key"] != "injuries"
                                            for r in item["rows"]]]
    in_runs = [row for kind, group in _answer_groups(listed) if kind == "list"
               for segment, content in group if segment == "run" for row in content]
    assert len(in_runs) > 100
    for row in in_runs:
        line = words(f"{row['question']} {row['value']}")
        assert any(line in printed for printed in lines), line


def test_each_mark_prints_every_answer_in_one_paragraph(signed_pdf: bytes, record: dict[str, Any],
                                                       tmp_path: Path) -> None:
    """#15: a mark's heading is its callout (the number on the diagram, the type, where, the size and how
    many); its other short answers run on in one paragraph, "question: answer" in the order asked, and its
    long answers follow in full; none is left out."""
    text = words(pdf_text(signed_pdf, tmp_path))
    (injuries,) = [s for s in record["sections"] if s["key"] == "injuries"]
    assert injuries["items"]
    callouts = injuries["body_map"]["callouts"]
    assert len(callouts) == len(injuries["items"])
    for item, callout in zip(injuries["items"], callouts, strict=True):
        heading = f"{callout['number']}. {callout['words']}"
        assert words(heading) in text
        said = [r for r in item["rows"] if r["name"] in callout["says"]]
        assert {r["name"] for r in said} >= {"type", "body_site"}
        for row in said:  # what the heading gives is not listed again, and is in the heading
            assert str(row["value"]).lower().split(" (")[0] in heading.lower(), (row, heading)
        rest = [r for r in item["rows"] if r["name"] not in callout["says"]]
        short, long = _fact_groups(rest)
        assert len(short) + len(long) + len(said) == len(item["rows"])
        expected = " · ".join(f"{r['question']}{'' if r['question'].endswith('?') else ':'} {r['value']}" for r in short)
        assert words(expected) in text
        assert words(f"{heading} {expected}") in text  # the paragraph follows its heading
        for row in long:
            assert words(row["value"]) in text


def test_a_run_of_answers_prints_like_a_paragraph_per_answer(record: dict[str, Any], static_dir: Path,
                                                              tmp_path: Path) -> None:
    html = render_record_html(record)
    assert 'class="qa-run"' in html

    def one_per_answer(match: re.Match[str]) -> str:
        return "".join(f'<p class="qa">{line}</p>' for line in match.group(1).split("\n"))

    separate = re.sub(r'<p class="qa-run">(.*?)</p>', one_per_answer, html, flags=re.S)
    assert 'class="qa-run"' not in separate
    pages = []
    for name, source in (("runs", html), ("separate", separate)):
        (tmp_path / f"{name}.pdf").write_bytes(html_to_pdf(source, static_dir))
        subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        pages.append(sorted(tmp_path.glob(f"{name}-*.png")))
    assert len(pages[0]) == len(pages[1])
    for runs_page, separate_page in zip(*pages, strict=True):
        a, b = (Image.open(path).convert("L") for path in (runs_page, separate_page))
        difference = ImageChops.difference(a, b)
        # The same lines in the same places (identical pixels here; a little room for anti-aliasing).
        assert ImageStat.Stat(difference).mean[0] < 0.1, runs_page.name


def test_every_page_has_the_marking_top_and_bottom_and_page_n_of_m(signed_pdf: bytes, tmp_path: Path) -> None:
    total = page_count(signed_pdf)
    for page in range(1, total + 1):
        lines = [line for line in pdf_text(signed_pdf, tmp_path, page, layout=True).splitlines() if line.strip()]
        assert "OFFICIAL-SENSITIVE" in lines[0], page
        assert "OFFICIAL-SENSITIVE" in lines[-1], page
        assert f"Page {page} of {total}" in lines[-1]
        assert f"Record {RECORD_ID}" in lines[-1]
        assert "Amelia Carter-Hughes" in lines[0]


def test_names_in_the_page_margins_are_printed_as_written(static_dir: Path, tmp_path: Path) -> None:
    # The margins take the child's name from an HTML attribute: quotes, ampersands and markup stay text.
    record = full_record()
    record["child"]["family_name"] = 'O\'Brien & "Co" <b>bold</b>'
    pdf = render_record_pdf(record, static_dir)
    for page in (1, page_count(pdf)):
        first_line = pdf_text(pdf, tmp_path, page, layout=True).splitlines()[0]
        assert 'Amelia O\'Brien & "Co" <b>bold</b>, born 14 May 2026' in first_line


def test_long_free_text_is_never_clipped(signed_pdf: bytes, tmp_path: Path) -> None:
    text = words(pdf_text(signed_pdf, tmp_path))
    for note in LONG_NOTES.values():
        assert len(note) > 3500
        last_words = " ".join(note.split()[-14:])
        assert last_words in text


def test_a_long_unbroken_string_wraps_inside_the_page(static_dir: Path, tmp_path: Path) -> None:
    record = full_record(extra_note="x" * 3000 + " END-OF-UNBROKEN")
    pdf = render_record_pdf(record, static_dir)
    text = pdf_text(pdf, tmp_path)
    runs = [
        re.match(r"x*", line.split(" ")[-1] if "consistent?" in line else line).group() for line in text.splitlines()
    ]
    assert sum(len(run) for run in runs) == 3000  # every character is on a page, none cut off
    assert sum(1 for run in runs if len(run) >= 40) > 20  # wrapped at the margin, not run off the page
    assert "END-OF-UNBROKEN" in text


def test_addendum_and_no_growth_are_stated(static_dir: Path, tmp_path: Path) -> None:
    record = full_record("0c8a1e55-0000-4000-8000-000000000002", growth=False, addendum_of=RECORD_ID)
    text = words(pdf_text(render_record_pdf(record, static_dir), tmp_path))
    assert f"Addendum to record {RECORD_ID}" in text
    assert "The child was not weighed on this visit" in text


def test_the_records_own_user_agent_stylesheet_is_the_one_weasyprint_uses(
    static_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The record replaces WeasyPrint's built-in user-agent stylesheet (see records.RecordHTML). If a new
    # WeasyPrint stopped consulting the hook, the record would silently fall back to the slower built-in one.
    html = "<html><head><title>t</title></head><body><h2>Shown heading</h2><p>Hidden paragraph</p></body></html>"
    monkeypatch.setattr(
        "homevisit.records.records._ua_stylesheet",
        lambda: CSS(string="html, body, h2 { display: block } head, p { display: none }"),
    )
    text = pdf_text(html_to_pdf(html, static_dir), tmp_path)
    assert "Shown heading" in text
    assert "Hidden paragraph" not in text


def element_tree(element: Any, top: bool = True) -> Any:
    """An element as nested tuples; whitespace-only text directly inside <html> is dropped (it makes no box)."""
    def text(value: str | None, keep: bool) -> str:
        return (value or "") if keep or (value or "").strip() else ""

    return (element.tag, dict(element.attrib), text(element.text, element.tag != "html"),
            text(element.tail, not top and element.tag not in ("head", "body", "main")),
            [element_tree(child, top=element.tag == "html") for child in element])


def test_the_record_is_parsed_by_expat_into_the_tree_weasyprints_own_parser_makes(
    record: dict[str, Any], static_dir: Path
) -> None:
    # Records are parsed with expat (records.RecordHTML); a template that stopped being well-formed XML
    # would quietly fall back to the slow parser, and a tree that differed would print differently.
    html = render_record_html(record)
    fetcher = StrictURLFetcher(static_dir)
    fast = RecordHTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher)
    assert fast.parsed_by == "expat"
    reference = HTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher)
    assert element_tree(fast.etree_element) == element_tree(reference.etree_element)
    assert fast.base_url == reference.base_url


def test_a_note_expat_refuses_is_parsed_by_weasyprints_parser_and_printed(static_dir: Path, tmp_path: Path) -> None:
    # XML 1.0 forbids most control characters; an old note holding one still prints, parsed the HTML way.
    note = "Seen at the door \x01 then in the kitchen CONTROL-CHARACTER-NOTE"
    html = render_record_html(full_record(extra_note=note))
    fetcher = StrictURLFetcher(static_dir)
    assert RecordHTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher).parsed_by == "tinyhtml5"
    assert "CONTROL-CHARACTER-NOTE" in words(pdf_text(html_to_pdf(html, static_dir), tmp_path))


def outline_titles(pdf: bytes) -> list[str]:
    """Every bookmark title in the PDF's outline, at any depth."""

    def walk(items: list[Any]) -> list[str]:
        return [t for item in items for t in (walk(item) if isinstance(item, list) else [item.title])]

    return walk(pypdf.PdfReader(io.BytesIO(pdf)).outline)


def test_the_pdf_outline_lists_the_sections(signed_pdf: bytes, record: dict[str, Any]) -> None:
    titles = " | ".join(outline_titles(signed_pdf))
    assert "Home visit record" in titles
    for section in record["sections"]:
        assert section["title"] in titles, section["title"]
    assert "Required actions" in titles and "Declaration and signature" in titles


def test_fonts_are_system_fonts_embedded(signed_pdf: bytes) -> None:
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(signed_pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all(("Liberation" in f or "DejaVu" in f) for f in fonts), fonts
    assert not any("Transport" in f for f in fonts)


# ------------------------------------------------------------------------------------- PDF/A and data
def test_pdfa_3b_identification_in_xmp_survives_signing(unsigned_pdf: bytes, signed_pdf: bytes) -> None:
    for pdf in (unsigned_pdf, signed_pdf):
        root = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]
        xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
        assert re.search(r'pdfaid:part(="|>)3', xmp), xmp
        assert re.search(r'pdfaid:conformance(="|>)B', xmp), xmp
        assert "/OutputIntents" in root


def test_every_stream_is_compressed_and_reads_back_and_the_file_has_its_identifier(unsigned_pdf: bytes) -> None:
    # records compresses each stream itself (once, not once per serialisation as pydyf does): every stream
    # must still carry a filter whose decoded bytes a reader gets back, with the right length.
    reader = pypdf.PdfReader(io.BytesIO(unsigned_pdf), strict=True)
    streams = 0
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if not isinstance(obj, pypdf.generic.StreamObject):
            continue
        streams += 1
        assert obj.get("/Filter") in ("/FlateDecode", "/DCTDecode"), (number, obj)
        assert obj.get_data(), number  # strict reading: the /Length and the compressed bytes agree
    assert streams >= 20  # pages, fonts and their widths, the chart, the signature, the ICC profile, the JSON
    page = reader.pages[0].get_contents()
    assert page is not None and b" Tf" in page.get_data() and b"TJ" in page.get_data()
    file_id = reader.trailer["/ID"]
    assert len(file_id) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", str(part)) for part in file_id)  # PDF/A needs it


XMP_NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
INFO_IN_XMP = {  # ISO 19005-3, 6.6.2.3.1: document information entries and their XMP equivalents
    "/Title": ("dc", "title"), "/Author": ("dc", "creator"), "/Subject": ("dc", "description"),
    "/Keywords": ("pdf", "Keywords"), "/Creator": ("xmp", "CreatorTool"), "/Producer": ("pdf", "Producer"),
    "/CreationDate": ("xmp", "CreateDate"), "/ModDate": ("xmp", "ModifyDate"),
}


def xmp_value(xmp: str, prefix: str, name: str) -> str | None:
    """A property of the XMP packet, written as an attribute or as an element (the first item of a list)."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xmp.encode("utf-8").split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    qualified = f"{{{XMP_NAMESPACES[prefix]}}}{name}"
    for description in root.iter(f"{{{XMP_NAMESPACES['rdf']}}}Description"):
        if qualified in description.attrib:
            return description.attrib[qualified]
        element = description.find(qualified)
        if element is not None:
            item = element.find(".//rdf:li", XMP_NAMESPACES)
            return (item.text if item is not None else element.text) or ""
    return None


def pdf_date_as_xmp(value: str) -> str:
    """D:20261126131313+00'00' as XMP writes it: 2026-11-26T13:13:13+00:00."""
    m = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(Z|[+-]\d\d'?\d\d'?)?", value)
    assert m, value
    zone = (m.group(7) or "Z").replace("'", "")
    zone = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[3:]}"
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6)}{zone}"


def test_document_information_agrees_with_the_xmp_metadata_after_signing_and_countersigning(
    unsigned_pdf: bytes, signed_pdf: bytes, signer: Any
) -> None:
    # PDF/A: every document information entry must be in the XMP metadata with the same value. pyHanko
    # updates both when it signs; a producer written differently in each would make the record fail PDF/A.
    countersigned = sign_pdf(signed_pdf, signer, field_name="Supervisor", name="Sam Okafor", reason="Countersigned")
    for label, pdf in (("unsigned", unsigned_pdf), ("signed", signed_pdf), ("countersigned", countersigned)):
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
        assert xmp_value(xmp, "dc", "title") == "Home visit record: Amelia Carter-Hughes, 26 November 2026 at 14:30"
        info = reader.trailer["/Info"].get_object() if "/Info" in reader.trailer else {}
        for key, value in info.items():
            if key in INFO_IN_XMP:
                expected = pdf_date_as_xmp(str(value)) if key.endswith("Date") else str(value)
                assert xmp_value(xmp, *INFO_IN_XMP[key]) == expected, (label, key, str(value))


def fonts_used(resources: Any, found: dict[int, Any]) -> dict[int, Any]:
    """Every font dictionary reachable from a resource dictionary, through form XObjects and patterns too."""
    if not resources:
        return found
    resources = resources.get_object()
    for ref in (resources.get("/Font") or {}).values():
        found[ref.idnum] = ref.get_object()
    for kind in ("/XObject", "/Pattern"):
        for ref in (resources.get(kind) or {}).values():
            inner = ref.get_object()
            if inner.get("/Subtype", "/Form") == "/Form":
                fonts_used(inner.get("/Resources"), found)
    return found


def test_every_font_is_embedded_with_the_widths_its_font_program_has(signed_pdf: bytes) -> None:
    # PDF/A: every font used, the chart's included, is embedded, and the widths in its font dictionary agree
    # with the embedded font program (ISO 19005-3, 6.2.11.4.1 and 6.2.11.5).
    from fontTools.ttLib import TTFont

    reader = pypdf.PdfReader(io.BytesIO(signed_pdf))
    fonts: dict[int, Any] = {}
    for page in reader.pages:
        fonts_used(page.get("/Resources"), fonts)
    assert len(fonts) >= 3
    for font in fonts.values():
        assert font["/Subtype"] == "/Type0", font
        descendant = font["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        with TTFont(io.BytesIO(program)) as embedded:
            order, advances = embedded.getGlyphOrder(), embedded["hmtx"]
            scale = 1000 / embedded["head"].unitsPerEm
            to_gid = descendant["/CIDToGIDMap"]
            table = to_gid.get_object().get_data() if to_gid != "/Identity" else None
            widths, items, i = {}, list(descendant["/W"]), 0
            while i < len(items):  # [first [w1 w2 ...]] or [first last w]
                if isinstance(items[i + 1], list):
                    widths.update({items[i] + k: float(w) for k, w in enumerate(items[i + 1])})
                    i += 2
                else:
                    widths.update({cid: float(items[i + 2]) for cid in range(items[i], items[i + 1] + 1)})
                    i += 3
            assert widths
            for cid, width in widths.items():
                gid = int.from_bytes(table[2 * cid:2 * cid + 2], "big") if table is not None else cid
                assert abs(advances[order[gid]][0] * scale - width) <= 1, (font["/BaseFont"], cid, width)


def test_visit_json_is_embedded_as_the_source_data(signed_pdf: bytes, record: dict[str, Any]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(signed_pdf))
    name = f"visit-{RECORD_ID}.json"
    assert reader.attachments[name] == [record["visit_json"]]
    assert json.loads(reader.attachments[name][0])["weight_kg"] == 6.85
    associated = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert [(str(s["/UF"]), s["/AFRelationship"]) for s in associated] == [(name, "/Source")]


# ------------------------------------------------------------------------------------------ signatures
def test_signed_record_verifies_as_intact_and_trusted(signed_pdf: bytes, trusted: list[Any]) -> None:
    report = verify_pdf(signed_pdf, trusted_certs=trusted)
    assert report["intact"] is True
    assert report["changed_after_signing"] is False
    [signature] = report["signatures"]
    assert signature["field"] == "Visitor"
    assert signature["signer"] == "Northshire Community Health NHS Trust visit records"
    assert signature["intact"] and signature["valid"] and signature["trusted"]
    assert signature["coverage"] == "ENTIRE_FILE"
    assert signature["modification_level"] == "NONE"
    assert signature["signed_at"].startswith("20")
    assert "exactly as it was signed" in report["summary"]


def test_untrusted_certificate_is_intact_but_said_not_to_be_trusted(signed_pdf: bytes) -> None:
    report = verify_pdf(signed_pdf, trusted_certs=[])
    assert report["intact"] is True
    assert report["signatures"][0]["trusted"] is False
    assert "not one this service trusts" in report["summary"]


def signed_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match
    return [int(n) for n in match.groups()]


@pytest.mark.parametrize("fraction", [0.1, 0.35, 0.5, 0.8, 0.97])
def test_one_flipped_byte_is_reported_as_altered(signed_pdf: bytes, trusted: list[Any], fraction: float) -> None:
    start, length, _, _ = signed_range(signed_pdf)
    offset = start + int(length * fraction)
    tampered = bytearray(signed_pdf)
    tampered[offset] ^= 0x01
    report = verify_pdf(bytes(tampered), trusted_certs=trusted)
    assert report["intact"] is False
    assert report["signatures"] == [] or report["signatures"][0]["intact"] is False
    assert "altered" in report["summary"] or "could not be read" in report["summary"]


def test_a_flipped_byte_in_the_visible_text_region_is_altered(signed_pdf: bytes, trusted: list[Any]) -> None:
    tampered = signed_pdf.replace(b"/Title (Home visit record", b"/Title (Home visit recorD", 1)
    assert tampered != signed_pdf
    report = verify_pdf(tampered, trusted_certs=trusted)
    assert report["intact"] is False
    assert report["signatures"][0]["intact"] is False
    assert report["signatures"][0]["problem"] == "The signed part of the file has been changed."


def test_an_update_appended_after_signing_is_reported_as_changed(signed_pdf: bytes, trusted: list[Any]) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (50, 50, 300, 90)]),
            generic.NameObject("/Contents"): generic.TextStringObject("No concerns"),
            generic.NameObject("/DA"): generic.pdf_string("/Helv 12 Tf 0 g"),
        }
    )
    page["/Annots"] = generic.ArrayObject([writer.add_object(note)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trusted_certs=trusted)
    assert report["changed_after_signing"] is True
    assert report["intact"] is False
    assert report["signatures"][0]["intact"] is True  # the signed revision itself is untouched
    assert report["signatures"][0]["coverage"] == "ENTIRE_REVISION"
    assert "changed after it was signed" in report["summary"]


def test_bytes_appended_after_signing_are_reported_as_changed(signed_pdf: bytes, trusted: list[Any]) -> None:
    report = verify_pdf(signed_pdf + b"\n% appended\n", trusted_certs=trusted)
    assert report["intact"] is False
    assert report["changed_after_signing"] is True


def test_countersignature_keeps_both_signatures_intact(signed_pdf: bytes, signer: Any, trusted: list[Any]) -> None:
    countersigned = sign_pdf(
        signed_pdf,
        signer,
        field_name="Supervisor",
        name="Sam Okafor",
        reason="Countersigned at supervision",
        location="Northshire",
    )
    assert countersigned.startswith(signed_pdf)  # incremental: the first signed bytes are unchanged
    report = verify_pdf(countersigned, trusted_certs=trusted)
    assert report["intact"] is True
    assert report["changed_after_signing"] is False
    first, second = report["signatures"]
    assert (first["field"], second["field"]) == ("Visitor", "Supervisor")
    assert first["intact"] and second["intact"] and first["trusted"] and second["trusted"]
    assert first["coverage"] == "ENTIRE_REVISION" and first["modification_level"] == "FORM_FILLING"
    assert second["coverage"] == "ENTIRE_FILE"


def test_a_trusted_timestamp_attests_when_the_record_was_signed(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any], tsa: Any
) -> None:
    asked = tsa.requests
    stamped = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="Priya Natarajan", reason="Signed",
                       timestamper=HTTPTimestampAuthority(tsa.url))
    assert tsa.requests > asked
    report = verify_pdf(stamped, trusted_certs=[*trusted, tsa.certificate_pem])
    assert report["intact"] and not report["changed_after_signing"]
    stamp = report["signatures"][0]["timestamp"]
    assert stamp["authority"] == "Test Time-Stamping Authority" and stamp["intact"] and stamp["trusted"]
    assert abs(datetime.fromisoformat(stamp["at"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert "a time-stamping authority this service trusts, attests that" in report["summary"]
    # Without the authority's certificate among the trusted ones, the time is only that authority's word.
    unknown = verify_pdf(stamped, trusted_certs=trusted)
    assert unknown["intact"] and not unknown["signatures"][0]["timestamp"]["trusted"]
    assert "which this service does not trust" in unknown["summary"]


def test_a_timestamp_changed_inside_the_signature_is_reported(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any], tsa: Any
) -> None:
    stamped = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="Priya Natarajan", reason="Signed",
                       timestamper=HTTPTimestampAuthority(tsa.url))
    contents = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", stamped)
    assert contents
    # The token's time is a GeneralizedTime (tag 0x18); the certificates' times are UTCTime until 2050.
    year = datetime.now(UTC).strftime("%Y").encode().hex().encode()
    when = re.search(rb"18[0-9a-fA-F]{2}(" + year + rb")", contents.group(1))
    assert when
    minute_tens = contents.start(1) + when.start(1) + 2 * 10 + 1  # the low nibble of the minute's first digit
    digit = stamped[minute_tens:minute_tens + 1]
    altered = stamped[:minute_tens] + (b"1" if digit != b"1" else b"2") + stamped[minute_tens + 1:]
    report = verify_pdf(altered, trusted_certs=[*trusted, tsa.certificate_pem])
    # The signed bytes are unchanged (a signature's own container is outside what it covers), but the
    # authority's signature no longer matches the time it now shows: the file was altered.
    signature = report["signatures"][0]
    assert signature["intact"] and signature["timestamp"] is not None and not signature["timestamp"]["intact"]
    assert signature["problem"] == "The timestamp in the signature does not match it: do not rely on its time."
    assert report["intact"] is False and "attests" not in report["summary"]
    assert report["summary"].startswith("This file was altered after it was signed: the timestamp inside the signature")


def _refusing_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"  # nothing listens there now


@pytest.mark.parametrize("answer", ["nothing listening", "a web page instead of a timestamp"])
def test_a_time_stamping_authority_that_fails_leaves_the_record_signed_without_a_timestamp(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any], caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class WebPage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>Proxy login</html>")

        def log_message(self, *args: Any) -> None:
            pass

    server = None
    if answer == "nothing listening":
        url = _refusing_url()
    else:
        server = ThreadingHTTPServer(("127.0.0.1", 0), WebPage)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        signed = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="Priya Natarajan", reason="Signed",
                          timestamper=HTTPTimestampAuthority(url, timeout=3))
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    report = verify_pdf(signed, trusted_certs=trusted)
    assert report["intact"] and report["signatures"][0]["timestamp"] is None
    assert "without a trusted timestamp" in caplog.text


def test_only_an_http_address_is_taken_for_a_time_stamping_authority() -> None:
    for url in ("file:///etc/passwd", "ftp://tsa.example/", "tsa.example"):
        with pytest.raises(SigningError):
            HTTPTimestampAuthority(url)


def reserved_hex_digits(pdf: bytes) -> list[int]:
    """The size of each signature's /Contents placeholder, in hex digits (pyHanko's ``bytes_reserved``)."""
    return [len(m.group(1)) for m in re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", pdf)]


def rsa_chain_signer(tmp_path: Path) -> tuple[Any, list[Any]]:
    """A deployment-style signer: an RSA-4096 key whose certificate came from an intermediate and a root CA."""
    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Northshire Community Health NHS Trust")])

    def issue(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        now = datetime.now(UTC)
        return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_cert_sign=ca,
                                             crl_sign=ca, key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False),
                               critical=True)
                .sign(issuer_key, hashes.SHA256()))

    root_key, inter_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    root = issue("Trust Root CA", root_key, "Trust Root CA", root_key, True)
    inter = issue("Trust Issuing CA", inter_key, "Trust Root CA", root_key, True)
    leaf = issue("Visit records", leaf_key, "Trust Issuing CA", inter_key, False)
    pem = tmp_path / "chain"
    pem.mkdir()
    (pem / "key.pem").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (pem / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (pem / "chain.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (inter, root)))
    signer = signers.SimpleSigner.load(str(pem / "key.pem"), str(pem / "cert.pem"), ca_chain_files=(str(pem / "chain.pem"),))
    assert signer is not None and len(list(signer.cert_registry)) >= 2
    return signer, [root.public_bytes(serialization.Encoding.PEM)]


def test_the_signature_space_is_set_aside_from_the_certificates_without_a_trial_signature(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any], tmp_path: Path
) -> None:
    signed = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="X", reason="r")
    assert reserved_hex_digits(signed) == [signature_space(signer)]
    assert verify_pdf(signed, trusted_certs=trusted)["intact"] is True
    # A deployment's own key: RSA-4096 with two CA certificates in the container, still within the space.
    rsa_signer, chain = rsa_chain_signer(tmp_path)
    assert signature_space(rsa_signer) > signature_space(signer)
    signed = sign_pdf(unsigned_pdf, rsa_signer, field_name="Visitor", name="X", reason="r")
    assert reserved_hex_digits(signed) == [signature_space(rsa_signer)]
    report = verify_pdf(signed, trusted_certs=[chain[-1]])
    assert report["intact"] is True and report["signatures"][0]["trusted"] is True


def test_a_signature_bigger_than_the_space_set_aside_is_measured_and_signed(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing, "SIGNATURE_ALLOWANCE_BYTES", 0)  # room for the certificate alone: too small
    too_small = signature_space(signer)
    signed = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="X", reason="r")
    [reserved] = reserved_hex_digits(signed)
    assert reserved > too_small  # pyHanko measured the container itself
    assert verify_pdf(signed, trusted_certs=trusted)["intact"] is True


def test_signing_twice_in_the_same_field_is_refused(signed_pdf: bytes, signer: Any) -> None:
    with pytest.raises(SigningError, match="already has a signature"):
        sign_pdf(signed_pdf, signer, field_name="Visitor", name="X", reason="again")


def test_unsigned_and_unreadable_files_get_a_report_not_an_exception(unsigned_pdf: bytes) -> None:
    unsigned = verify_pdf(unsigned_pdf)
    assert unsigned == {
        "intact": False,
        "signatures": [],
        "changed_after_signing": False,
        "summary": unsigned["summary"],
    }
    assert "no digital signature" in unsigned["summary"]
    for junk in (b"", b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 4):
        report = verify_pdf(junk)
        assert report["intact"] is False and "could not be read" in report["summary"]


# ------------------------------------------------------------------------------------------ key files
def test_init_signing_writes_private_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    paths = init_signing(tmp_path / "signing", "Test Trust", passphrase="correct horse")
    for path in (paths.key, paths.certificate, paths.pkcs12):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in paths.key.read_bytes()
    with pytest.raises(SigningError, match="already exists"):
        init_signing(tmp_path / "signing", "Test Trust")
    with pytest.raises(SigningError, match="passphrase"):
        load_signer(paths.directory, passphrase="wrong")
    assert load_signer(paths.directory, passphrase="correct horse").signing_cert is not None
    paths.pkcs12.unlink()  # the PEM pair alone is enough
    assert load_signer(paths.directory, passphrase="correct horse").signing_cert is not None
    with pytest.raises(SigningError, match="No signing key"):
        load_signer(tmp_path / "empty")


# ------------------------------------------------------------------------------------------- fetching
class ConnectionCounter:
    """A TCP listener on 127.0.0.1 that counts every connection it is offered."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def listener() -> Any:
    counter = ConnectionCounter()
    yield counter
    counter.close()


def test_html_in_a_note_is_printed_as_text_and_fetches_nothing(
    static_dir: Path, listener: ConnectionCounter, tmp_path: Path
) -> None:
    payload = (
        f'<img src="file:///etc/passwd"> <div style="background:url(http://127.0.0.1:{listener.port}/)">'
        f"x</div> {{{{ 7*7 }}}}"
    )
    record = full_record(extra_note=payload)
    html = render_record_html(record)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html
    spy = StrictURLFetcher(static_dir)
    pdf = render_record_pdf(record, static_dir, url_fetcher=spy)
    assert spy.refused == []  # escaped markup is text, so nothing was even asked for
    assert all(url.startswith("data:") for url in spy.fetched)
    assert listener.connections == 0
    text = re.sub(r"\s+", "", pdf_text(pdf, tmp_path))  # long tokens may wrap anywhere
    assert '<imgsrc="file:///etc/passwd">' in text
    assert f"url(http://127.0.0.1:{listener.port}/)" in text
    assert "{{7*7}}" in text
    assert "root:x:0:0" not in text


def test_strict_fetcher_refuses_every_url_that_reaches_it(
    static_dir: Path, listener: ConnectionCounter, tmp_path: Path
) -> None:
    port = listener.port
    hostile = (
        '<html><head><link rel="stylesheet" href="https://example.invalid/x.css">'
        f"<style>@import url(http://127.0.0.1:{port}/import.css); h1 {{ background: url(http://127.0.0.1:{port}/bg) }}"
        "</style></head><body><h1>Hostile</h1>"
        '<img src="file:///etc/passwd"><img src="../../../../etc/hostname">'
        f'<div style="background-image:url(http://127.0.0.1:{port}/style)">x</div>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
        f'<image xlink:href="http://127.0.0.1:{port}/svg" width="10" height="10"/></svg>'
        '<link rel="stylesheet" href="css/ok.css"></body></html>'
    )
    spy = StrictURLFetcher(static_dir)
    # nothing refused is drawn, so the record is not made at all (a record shows all it was given, or is not made)
    with pytest.raises(RecordError, match="could not be drawn in full"):
        html_to_pdf(hostile, static_dir, fetcher=spy)
    refused = " ".join(spy.refused)
    for expected in (
        "https://example.invalid/x.css",
        f"http://127.0.0.1:{port}/import.css",
        f"http://127.0.0.1:{port}/bg",
        "file:///etc/passwd",
        "/etc/hostname",
        f"http://127.0.0.1:{port}/style",
    ):
        assert expected in refused, expected
    assert spy.fetched == [(static_dir / "css" / "ok.css").resolve().as_uri()]
    assert listener.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "file://evil.example/share/x.png",
        "FILE:///etc/shadow",
        "javascript:alert(1)",
    ],
)
def test_strict_fetcher_refuses_without_fetching(static_dir: Path, url: str) -> None:
    fetcher = StrictURLFetcher(static_dir)
    with pytest.raises(URLRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url] and fetcher.fetched == []


def test_strict_fetcher_serves_static_files_and_data_urls_only(static_dir: Path) -> None:
    fetcher = StrictURLFetcher(static_dir)
    inside = (static_dir / "css" / "ok.css").resolve()
    assert fetcher.fetch(inside.as_uri()).read() == b"p { color: black }"
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher.fetch("data:,a%20b").read() == b"a b"
    traversal = static_dir.resolve().as_uri() + "/css/../../../../../etc/passwd"
    with pytest.raises(URLRefused):
        fetcher.fetch(traversal)
    outside = static_dir.parent / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    (static_dir / "link.txt").symlink_to(outside)
    with pytest.raises(URLRefused):
        fetcher.fetch((static_dir / "link.txt").as_uri())


# ------------------------------------------------------------------------------------------- pictures
def test_pages_render_as_a4_images(signed_pdf: bytes) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is required")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("page-*.png"):
        old.unlink()
    source = ARTIFACTS / "full-visit-record.pdf"
    source.write_bytes(signed_pdf)
    dpi = 72
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(ARTIFACTS / "page")], check=True)
    images = sorted(ARTIFACTS.glob("page-*.png"))
    assert len(images) == page_count(signed_pdf)
    assert 6 <= len(images) <= 20
    expected = (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi))
    for path in images:
        with Image.open(path) as image:
            assert abs(image.width - expected[0]) <= 1 and abs(image.height - expected[1]) <= 1, image.size
            # a page is never blank: the marking and text are drawn on it
            assert image.convert("L").getextrema()[0] < 100


# ----------------------------------------------------------------------------------------- frame stack
def test_a_record_renders_without_faulting_in_memory_from_any_caller_depth(static_dir: Path, signer: Any) -> None:
    """CPython maps a fresh frame-stack chunk each time recursion crosses a chunk's end (see homevisit.records.stackroom);
    from an unlucky caller depth a record used to cost 14,000 page faults and half as much time again."""

    def at_depth(depth: int, fn: Any) -> Any:
        return fn() if depth == 0 else at_depth(depth - 1, fn)

    record = full_record()
    render_signed_record(record, static_dir, signer)
    faults = {}
    for depth in range(0, 160, 16):  # more than one 16 KiB chunk's worth of caller frames
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        at_depth(depth, lambda: render_signed_record(record, static_dir, signer))
        faults[depth] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert max(faults.values()) < 400, faults


def test_a_record_is_signed_and_checked_from_inside_a_running_event_loop(
    unsigned_pdf: bytes, signer: Any, trusted: list[Any]
) -> None:
    """pyHanko starts an event loop of its own; inside an async server's loop the work moves to a thread."""

    async def in_a_server() -> tuple[bytes, dict[str, Any]]:
        signed = sign_pdf(unsigned_pdf, signer, field_name="Visitor", name="Priya Natarajan", reason="Home visit record")
        return signed, verify_pdf(signed, trusted_certs=trusted)

    signed, report = asyncio.run(in_a_server())
    assert report["intact"] is True and report["changed_after_signing"] is False, report
    [signature] = report["signatures"]
    assert signature["intact"] is True and signature["trusted"] is True


# ----------------------------------------------------------------------------------------------- batch
def test_render_batch_signs_each_record_in_parallel(static_dir: Path, signer: Any, trusted: list[Any]) -> None:
    records = [full_record(f"00000000-0000-4000-8000-00000000000{n}") for n in range(4)]
    seen: list[tuple[int, int, str]] = []
    results = dict(
        render_batch(
            records, static_dir, signer, workers=2, progress=lambda done, total, rid: seen.append((done, total, rid))
        )
    )
    assert sorted(results) == sorted(r["record_id"] for r in records)
    assert [s[0] for s in seen] == [1, 2, 3, 4] and all(s[1] == 4 for s in seen)
    for record_id, pdf in results.items():
        assert verify_pdf(pdf, trusted_certs=trusted)["intact"] is True
        assert f"visit-{record_id}.json" in pypdf.PdfReader(io.BytesIO(pdf)).attachments


def test_a_record_without_a_cleaned_png_is_refused_and_the_batch_names_it(static_dir: Path, signer: Any) -> None:
    bad = full_record("bad-record-0001")
    bad["signature"]["png"] = b"GIF89a not a png"
    with pytest.raises(RecordError, match="bad-record-0001"):
        render_record_html(bad)
    with pytest.raises(RecordError, match="bad-record-0001"):
        list(render_batch([bad], static_dir, signer, workers=1))


def test_trusted_certificates_may_be_given_as_pem_bytes(signed_pdf: bytes, signing_dir: Path) -> None:
    pem = (signing_dir / "signing-cert.pem").read_bytes()
    assert verify_pdf(signed_pdf, trusted_certs=[pem])["signatures"][0]["trusted"] is True
