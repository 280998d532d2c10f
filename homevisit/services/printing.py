"""Printing for supervisors: many signed visit records at once, as one PDF or a zip of the signed files.

Printing serves the stored signed files, never a re-render, so what is printed is what was signed. A batch
runs in the background with its progress in the database, so a page can show how far a long batch has got.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pypdf import PdfReader, PdfWriter

from homevisit.data import children as children_data
from homevisit.data import print_jobs as print_jobs_data
from homevisit.data import store
from homevisit.data import users as users_data
from homevisit.data import visits as visits_data
from homevisit.domain.calendar import utc_now, utc_now_text
from homevisit.domain.presentation import ROLE_WORDS, date_words, datetime_words
from homevisit.records import records
from homevisit.records.stackroom import with_stack_room
from homevisit.services import audit, visit_records
from homevisit.services.exports import csv_cell

MAX_RECORDS = 1000


def matching_records(db: Any, team_id: int, *, child_id: str | None = None, date_from: str | None = None,
                     date_to: str | None = None, practitioner_id: int | None = None) -> list[dict[str, Any]]:
    """The team's signed records matching the filters, oldest visit first (the latest copy of each)."""
    return visits_data.signed_for_printing(db, team_id, child_id=child_id, date_from=date_from, date_to=date_to,
                                           practitioner_id=practitioner_id, limit=MAX_RECORDS)


def start_job(db: Any, user: dict[str, Any], kind: str, filters: dict[str, Any], config: dict[str, Any],
              *, background: bool = True) -> str:
    """Queue a print batch and start it; returns the job id to follow its progress."""
    rows = matching_records(db, user["team_id"], **filters)
    job_id = str(uuid.uuid4())
    with store.write(db):
        print_jobs_data.insert(db, {"id": job_id, "team_id": user["team_id"], "user_id": user["id"], "kind": kind,
                                    "filters": json.dumps(filters), "status": "queued", "total": len(rows),
                                    "done": 0, "created_at": utc_now_text()})
        audit.record(db, action="print_batch", object_type="print_job", object_id=job_id, user=user,
                     detail={"kind": kind, "filters": filters, "records": len(rows)})
    settings = {k: config[k] for k in ("DATABASE", "RECORDS_DIR", "ORGANISATION_NAME", "SERVICE_NAME")}
    if background:
        threading.Thread(target=run_job, args=(settings, job_id, rows), daemon=True, name=f"print-{job_id}").start()
    else:
        run_job(settings, job_id, rows)
    return job_id


@with_stack_room
def run_job(settings: dict[str, Any], job_id: str, rows: list[dict[str, Any]]) -> None:
    """Collect the stored signed files (checked against their fingerprints) into one PDF or a zip.

    The PDF opens with an index of the records in it (child, visit, visitor, the page each starts on and
    the signed file's SHA-256); the zip holds the signed files untouched with the same index as CSV.
    """
    db = store.connect(settings["DATABASE"])
    try:
        job = print_jobs_data.by_id(db, job_id)
        assert job is not None
        with store.write(db):
            print_jobs_data.update(db, job_id, {"status": "running"})
        out_dir = os.path.join(settings["RECORDS_DIR"], "print-jobs")
        os.makedirs(out_dir, mode=0o700, exist_ok=True)
        done = 0

        def load(row: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
            return row, visit_records.read_record_file(settings, row["filename"], row["sha256"])

        buffer = io.BytesIO()
        readers: list[tuple[dict[str, Any], PdfReader]] = []
        archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) if job["kind"] == "zip" else None
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for row, data in pool.map(load, rows):
                if archive is not None:
                    archive.writestr(_zip_name(row), data)
                else:
                    readers.append((row, PdfReader(io.BytesIO(data))))
                done += 1
                if done % 5 == 0 or done == len(rows):
                    with store.write(db):
                        print_jobs_data.update(db, job_id, {"done": done})
        if archive is not None:
            archive.writestr("index.csv", _index_csv(rows))
            archive.writestr("README.txt", "Each PDF is a signed visit record exactly as stored; index.csv lists them "
                                           "with their SHA-256 fingerprints. Check any of them with "
                                           "'flask --app app verify-record FILE' or the 'Check a visit record' page.\n")
            archive.close()
        else:
            writer = PdfWriter()
            writer.append(PdfReader(io.BytesIO(_bundle_index(db, settings, job, readers))),
                          outline_item="Index of the records in this bundle", import_outline=False)
            for number, (row, reader) in enumerate(readers, start=1):  # a bookmark per record, its sections inside
                writer.append(reader, outline_item=f"{number}. {_child_name(row)}, {date_words(row['visited_at'])}")
            _mark_as_bundle(writer, job, len(readers))
            writer.write(buffer)
        filename = f"{job_id}.{job['kind']}"
        path = os.path.join(out_dir, filename)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        with store.write(db):
            print_jobs_data.update(db, job_id, {"status": "done", "done": done, "filename": filename,
                                                "finished_at": utc_now_text()})
    except Exception as error:  # noqa: BLE001 - a failed batch is reported on its page, not lost in a log
        with store.write(db):
            print_jobs_data.update(db, job_id, {"status": "failed", "error": str(error)[:500],
                                                "finished_at": utc_now_text()})
    finally:
        db.close()


def _mark_as_bundle(writer: PdfWriter, job: dict[str, Any], records: int) -> None:
    """Take the copied signature fields out of a joined bundle and say in its metadata what it is.

    A signature covers the bytes of the file it was made in; once pages are joined into another file it
    can only ever check as broken. The bundle is a copy for reading and printing: the signed files are the
    records (the index lists their fingerprints)."""
    writer.remove_annotations(subtypes="/Widget")
    if "/AcroForm" in writer.root_object:
        del writer.root_object["/AcroForm"]
    writer.add_metadata({"/Title": f"Visit records printed together ({records} records)",
                         "/Subject": "Printed copies of signed visit records. Not itself a signed record.",
                         visit_records.BUNDLE_KEY: job["id"]})


def _zip_name(row: dict[str, Any]) -> str:
    return f"visit-record-{row['visit_id']}.pdf"


COPY_WORDS = {"signed": "Signed by the visitor", "countersigned": "Signed by the visitor and countersigned"}


def _child_name(row: dict[str, Any]) -> str:
    return f"{row['given_name']} {row['family_name']}"


def _copy_words(row: dict[str, Any]) -> str:
    return COPY_WORDS.get(row["record_kind"], row["record_kind"])


INDEX_COLUMNS = ("file", "child", "visited_at", "visitor", "signatures", "visit_id", "sha256")


def _index_csv(rows: list[dict[str, Any]]) -> bytes:
    """The zip's index: one line per signed file, names made safe to open in a spreadsheet."""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INDEX_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in (
            _zip_name(row), _child_name(row), row["visited_at"], row["visitor_name"], _copy_words(row),
            row["visit_id"], row["sha256"])])
    return out.getvalue().encode("utf-8")


def _bundle_index(db: Any, settings: dict[str, Any], job: dict[str, Any],
                  readers: list[tuple[dict[str, Any], PdfReader]]) -> bytes:
    """The index pages for the front of a printed bundle, with the page each record starts on.

    Where each record starts depends on how many pages the index itself takes, so the index is laid out
    again until that settles (once more at most, in practice: about 25 records fit on a page).
    """

    printer = users_data.name_and_role(db, job["user_id"]) or {}
    bundle = {
        "organisation": settings["ORGANISATION_NAME"], "service_name": settings["SERVICE_NAME"],
        "marking": visit_records.MARKING, "bundle_id": job["id"],
        "printed_by": f"{printer.get('name', 'Unknown')} ({ROLE_WORDS.get(printer.get('role', ''), 'role not known')})",
        "printed_at_words": datetime_words(job["created_at"]),
        "selection_words": _selection_words(db, json.loads(job["filters"] or "{}")),
    }
    index_pages, index = 1, b""
    for _attempt in range(4):
        start, entries = index_pages + 1, []
        for row, reader in readers:
            entries.append({"child_name": _child_name(row),
                            "visited_at_words": datetime_words(row["visited_at"]), "visitor_name": row["visitor_name"],
                            "copy_words": _copy_words(row),
                            "visit_id": row["visit_id"], "sha256": row["sha256"], "start_page": start})
            start += len(reader.pages)
        index = records.render_bundle_index({**bundle, "entries": entries, "total_pages": start - 1})
        pages = len(PdfReader(io.BytesIO(index)).pages)
        if pages == index_pages:
            return index
        index_pages = pages
    return index


def _selection_words(db: Any, filters: dict[str, Any]) -> str:
    """The batch's filters as a supervisor chose them, in words for the index: "Visits to Ivy Holt made by
    Sam Hill from 1 July 2026 to 30 September 2026"."""
    parts = []
    if filters.get("child_id"):
        child = children_data.by_id(db, filters["child_id"])
        parts.append(f"to {child['given_name']} {child['family_name']}" if child else "to one child")
    if filters.get("practitioner_id"):
        person = users_data.name_and_role(db, filters["practitioner_id"])
        parts.append(f"made by {person['name'] if person else 'one practitioner'}")
    if filters.get("date_from"):
        parts.append(f"from {date_words(filters['date_from'])}")
    if filters.get("date_to"):
        parts.append(f"to {date_words(filters['date_to'])}")
    return "Visits " + " ".join(parts) if parts else "Every signed visit record of the team"


STALLED_AFTER = timedelta(minutes=10)
"""A batch runs in a thread of the worker that started it (1,000 records, the most, take well under a
minute). One still unfinished after this long lost its worker (a restart or a crash) and is shown as failed,
so the page stops saying "updates itself" for ever."""
STALLED_MESSAGE = "it stopped before it finished, most likely because the service restarted"


def get_job(db: Any, job_id: str, user: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any] | None:
    """The user's own print batch, or None. A batch that stalled reads as failed (worked out on reading, so
    looking at a batch never changes it)."""
    job = print_jobs_data.by_id_for_user(db, job_id, user["id"])
    if job is None or job["status"] not in ("queued", "running"):
        return job
    if (now or utc_now()) - datetime.fromisoformat(job["created_at"]) < STALLED_AFTER:
        return job
    return {**job, "status": "failed", "error": STALLED_MESSAGE}


def job_file(job: dict[str, Any], config: dict[str, Any]) -> str:
    return os.path.join(config["RECORDS_DIR"], "print-jobs", job["filename"])
