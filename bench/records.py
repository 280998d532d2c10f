"""Benchmark the signed visit record: render + sign, WeasyPrint alone, batches of 100, and serving a stored copy.

Run from the repository root:  .venv/bin/python bench/records.py [--runs 20] [--batch 100] [--workers N]

The record is the integration tests' full visit: every one of the form's questions answered (a few "not
observed"), 3 marks, 2 people present, 8 required actions, and the app's own UK-WHO chart with seven weights.
It is timed twice: with free-text notes of about 600 characters (a full visit as written), and with the four
long notes at their maximum lengths of 8,000 and 4,000 characters (the worst case, 10 pages).
Wall-clock medians are printed with CPU-time medians, because a shared machine makes wall time noisy; the
ratio's two sides are run by turns.

Two batches of 100: what a supervisor's "print these visits" does (the stored signed files, checked against
their SHA-256 and joined into one PDF behind an index of them, or zipped with the index as CSV), and
rendering and signing 100 records afresh in parallel worker processes (``records.render_batch``), measured
first, before WeasyPrint's default path has run in the process (see main()).

The body map (issue 15): the full visit as written with no marks and with 5 marks (on the front, the back and the
face, so all three diagrams are drawn), run by turns; target: 5 marks cost at most 10% more than none.

Signing over HTTP: gunicorn (the project's gunicorn.conf.py, 2 sync workers) on loopback serving a fresh
instance; each of ``--http-signs`` full visits is PUT through the API and then signed with
``POST /api/v1/visits/<id>/signature`` (what the form's sign button also calls, through
``views.records.sign_with``). Its median is compared with rendering and signing the same kind of visit's record
in this process (``visit_records.build_record`` + ``records.render_signed_record``); target ratio <= 1.3.
The first sign in each fresh worker (loading fonts, templates and the key) is shown apart and left out of the median.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import importlib.util
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hostcpu import StolenTime  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402

from homevisit.data import store  # noqa: E402
from homevisit.domain.answers import answer_sections  # noqa: E402
from homevisit.records.records import (  # noqa: E402
    TEMPLATE_DIR,
    fewer_collections,
    render_batch,
    render_record_html,
    render_signed_record,
)
from homevisit.records.signing import init_signing, load_signer, trusted_certificates, verify_pdf  # noqa: E402
from homevisit.records.stackroom import disabled as without_stack_room  # noqa: E402
from homevisit.records.stackroom import with_stack_room  # noqa: E402
from homevisit.services import printing  # noqa: E402

TARGETS = {"render_sign_ms": 250.0, "ratio": 1.3, "batch_s": 10.0, "serve_ms": 10.0, "marks_ratio": 1.10,
           "http_ratio": 1.3}

MARKS = (("face", "face"), ("left_upper_arm", "front"), ("back", "back"), ("right_cheek", "face"), ("chest", "front"))
"""Five marks as a visitor taps them on the body map: body sites from dictionary.BODY_SITES on all three views."""


def load_fixture_module() -> Any:
    """The integration tests' record builder, so the bench and the tests measure the same record."""
    path = ROOT / "tests" / "integration" / "test_records.py"
    spec = importlib.util.spec_from_file_location("records_fixture", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def full_visit(fixture: Any) -> dict[str, Any]:
    """The tests' full visit, as a visit where the practitioner got in and saw the child (every page answered)."""
    visit = fixture.full_visit()
    if "access_outcome" in visit:
        visit["access_outcome"] = "visited"
    return dict(visit)


def worst_record(fixture: Any) -> dict[str, Any]:
    """The tests' full record, every note at its longest."""
    record = fixture.full_record()
    record["sections"] = answer_sections(full_visit(fixture))
    return record


def typical_record(fixture: Any, record_id: str = "11111111-2222-4333-8444-555555555555") -> dict[str, Any]:
    """The full record with free-text notes of a realistic length (a few hundred characters each)."""
    record = fixture.full_record(record_id)
    visit = full_visit(fixture)
    for name in fixture.LONG_NOTES:
        visit[name] = fixture.long_note(600, name.replace("_", " "))
    record["sections"] = answer_sections(visit)
    return record


def marked_record(fixture: Any, marks: int) -> dict[str, Any]:
    """The full visit as written with ``marks`` injuries (0 to 5), each placed on the body map."""
    from homevisit.domain.dictionary import BODY_SITES

    sites = {site for site, _label in BODY_SITES}
    record = fixture.full_record("22222222-3333-4444-8555-666666666666")
    visit = full_visit(fixture)
    for name in fixture.LONG_NOTES:
        visit[name] = fixture.long_note(600, name.replace("_", " "))
    template = dict(visit["injuries"][0])
    visit["injuries"] = []
    for site, view in MARKS[:marks]:
        assert site in sites, site
        visit["injuries"].append(dict(template, body_site=site, map_view=view))
    record["sections"] = answer_sections(visit)
    return record


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``runs`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def timed_by_turns(
    first: Callable[[], Any], second: Callable[[], Any], runs: int
) -> tuple[tuple[float, float, Any], tuple[float, float, Any]]:
    """``timed`` for two functions called by turns, so a drift in the machine's speed weighs on both alike.

    Both run with the garbage-collector settings of render + sign (``fewer_collections``), for a fair ratio."""
    samples: tuple[list[tuple[float, float, Any]], ...] = ([], [])
    with fewer_collections():
        for _ in range(runs):
            for sample, fn in zip(samples, (first, second), strict=True):
                sample.append(timed(fn, 1))
    first_result, second_result = (
        (statistics.median(s[0] for s in sample), statistics.median(s[1] for s in sample), sample[-1][2])
        for sample in samples
    )
    return first_result, second_result


def plain_call(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` as it ran before homevisit.records.stackroom: wherever the caller's depth puts the frame stack's chunk ends."""
    with without_stack_room():
        return fn(*args)


def caller_depth_faults(with_room: Callable[[], Any], without_room: Callable[[], Any]) -> tuple[list[int], list[int]]:
    """Minor page faults of each function called from 0-150 extra frames down the stack (a 16 KiB chunk's worth)."""

    def at_depth(depth: int, fn: Callable[[], Any]) -> Any:
        return fn() if depth == 0 else at_depth(depth - 1, fn)

    counts: tuple[list[int], list[int]] = ([], [])
    for depth in range(0, 160, 10):
        for count, fn in zip(counts, (with_room, without_room), strict=True):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            at_depth(depth, fn)
            count.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return counts


def print_batch(workdir: Path, samples: list[bytes], count: int) -> dict[str, float]:
    """Seconds for ``printing.run_job`` to join ``count`` stored signed records into one PDF, and into a zip."""
    records_dir = workdir / "records"
    records_dir.mkdir()
    rows = []
    for n in range(count):
        data = samples[n % len(samples)]
        filename = f"record-{n:04d}.pdf"
        (records_dir / filename).write_bytes(data)
        rows.append({"visit_id": f"visit-{n:04d}", "filename": filename, "sha256": hashlib.sha256(data).hexdigest(),
                     "visited_at": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T10:30:00+00:00", "given_name": "Amelia",
                     "family_name": "Carter-Hughes", "visitor_name": "Priya Natarajan", "record_kind": "signed"})
    db = store.connect(workdir / "print.db")
    store.migrate(db)
    with store.write(db):
        store.execute(db, "INSERT INTO teams (id, name, created_at) VALUES (1, 'Bench', '2026-01-01')")
        store.execute(db, "INSERT INTO users (id, email, name, role, team_id, password_hash, created_at) "
                          "VALUES (1, 'bench@example.org', 'Bench', 'supervisor', 1, 'x', '2026-01-01')")
    settings = {"DATABASE": str(workdir / "print.db"), "RECORDS_DIR": str(records_dir),
                "ORGANISATION_NAME": "Bench Trust", "SERVICE_NAME": "Home Visit Toolkit"}
    seconds = {}
    for kind in ("pdf", "zip"):
        job_id = f"bench-{kind}"
        with store.write(db):
            store.insert(db, "print_jobs", {"id": job_id, "team_id": 1, "user_id": 1, "kind": kind, "status": "queued",
                                            "total": count, "created_at": "2026-01-01T00:00:00"})
        started = time.perf_counter()
        printing.run_job(settings, job_id, rows)
        seconds[kind] = time.perf_counter() - started
        job = store.query_one(db, "SELECT status, done, error FROM print_jobs WHERE id = ?", (job_id,))
        if not job or job["status"] != "done" or job["done"] != count:
            raise RuntimeError(f"batch print failed: {job}")
    db.close()
    return seconds


def http_sign(workdir: Path, signs: int, static_dir: Path) -> dict[str, Any]:
    """Median ms of signing visits over HTTP through gunicorn, and of rendering + signing the same visits' records
    in this process; the first sign in each fresh worker apart."""
    sys.path.insert(0, str(ROOT / "tests" / "reliability"))
    sys.path.insert(0, str(ROOT / "tests"))
    from serving import Server, app_for, make_instance  # type: ignore[import-not-found]

    from helpers import drawn_signature_png, full_visit  # type: ignore[import-not-found]
    from homevisit.records import records as records_mod
    from homevisit.records.signing import init_signing as make_key
    from homevisit.services import visit_records, visits

    path = workdir / "http"
    instance = make_instance(path, children=4)
    make_key(path / "signing", "Bench Trust")
    token = instance.tokens["practitioner"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    png = "data:image/png;base64," + base64.b64encode(drawn_signature_png()).decode()
    note = "Mother said he had been unsettled overnight and was seen in the kitchen with his sister. " * 7
    workers = 2

    def body(n: int) -> dict[str, Any]:
        return full_visit(instance.children[n % len(instance.children)], observed_verbatim=note[:600],
                          interpretation=note[:600], injuries=[{"type": "bruise", "body_site": site, "map_view": view,
                                                                "pattern": "none", "explanation_assessment": "suitable"}
                                                               for site, view in MARKS[:3]])

    def call(conn: http.client.HTTPConnection, method: str, url: str, data: dict[str, Any]) -> tuple[int, bytes]:
        conn.request(method, url, body=json.dumps(data), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    times: list[float] = []
    pids: set[str] = set()
    with Server(path, workers=workers, threads=1, log=workdir / "http.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for n in range(signs + 2 * workers):
            visit = body(n)
            status, text = call(conn, "PUT", f"/api/v1/visits/{visit['id']}", visit)
            if status != 201:
                raise RuntimeError(f"submit failed: {status} {text[:300]!r}")
            started = time.perf_counter()
            status, text = call(conn, "POST", f"/api/v1/visits/{visit['id']}/signature",
                                {"signature_png": png, "declaration_accepted": True})
            times.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise RuntimeError(f"sign failed: {status} {text[:300]!r}")
        conn.close()
        log = server.log_text()
    # Which requests each worker answered first: those paid for the worker's warm-up.
    order = [line.split("pid=")[-1].strip() for line in log.splitlines() if "/signature" in line and "pid=" in line]
    cold = []
    for i, pid in enumerate(order):
        if pid not in pids:
            pids.add(pid)
            cold.append(i)
    warm = [t for i, t in enumerate(times) if i not in cold]

    # The same visits' records rendered and signed here, from the instance's database.
    app = app_for(path)
    in_process = []
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        user = instance.users["practitioner"]
        signer = visit_records.load_signer(app.config)
        png_bytes = drawn_signature_png()
        prepared = []
        for n in range(min(signs, 10)):
            visit = body(n)
            status, _ = visits.put_visit(db, visit["id"], visit, user, _rules(),
                                         get_child=lambda cid: _child(db, cid, user))
            assert status == 201, status
            stored = visits.load_visit(db, visit["id"], user)
            child = _child_row(db, stored["child_id"])
            prepared.append(visit_records.build_record(
                db, stored, child, organisation=app.config["ORGANISATION_NAME"], service_name=app.config["SERVICE_NAME"],
                signer=user, signed_at=visit_records.utc_now(), signature_png=png_bytes))
        records_mod.render_signed_record(prepared[0], static_dir, signer)
        for _ in range(max(1, signs // len(prepared))):
            for record in prepared:
                started = time.perf_counter()
                records_mod.render_signed_record(record, static_dir, signer)
                in_process.append((time.perf_counter() - started) * 1000)
    return {"http_ms": statistics.median(warm), "cold_ms": [times[i] for i in cold], "signs": len(warm),
            "in_process_ms": statistics.median(in_process), "workers": workers}


def _rules() -> Any:
    from homevisit.web.rulesets import current_rules

    return current_rules()


def _child(db: Any, child_id: str, user: dict[str, Any]) -> Any:
    from homevisit.services import children

    return children.get_child(db, child_id, user, log_view=False)


def _child_row(db: Any, child_id: str) -> dict[str, Any]:
    row = store.query_one(db, "SELECT * FROM children WHERE id = ?", (child_id,))
    assert row is not None
    return dict(row)


def verdict(value: float, target: float) -> str:
    return "meets target" if value <= target else "MISSES target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--http-signs", type=int, default=20, help="visits signed over HTTP (0 skips it)")
    args = parser.parse_args()
    stolen = StolenTime()

    fixture = load_fixture_module()
    with tempfile.TemporaryDirectory(prefix="homevisit-bench-") as scratch:
        workdir = Path(scratch)
        static_dir = workdir / "static"
        static_dir.mkdir()
        init_signing(workdir / "signing", "Bench Trust")
        signer = load_signer(workdir / "signing")
        trusted = trusted_certificates(workdir / "signing")
        record = worst_record(fixture)
        stylesheet = CSS(filename=str(TEMPLATE_DIR / "record.css"))

        html = render_record_html(record)
        typical = typical_record(fixture)
        render_signed_record(record, static_dir, signer)  # warm fonts, templates and the stylesheet
        render_signed_record(typical, static_dir, signer)
        print(f"Signed visit record benchmark ({args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
              f"Python {sys.version.split()[0]} at {sys._base_executable})")

        # The fresh batch first, forked from a process that has rendered records the app's way only, as the
        # app's own processes have. WeasyPrint's default path (timed below for the ratio) leaves the process
        # slower for renders after it: workers forked after those runs took 10-15% more CPU a record (three
        # paired runs), a state no process of the app is ever in.
        records = [typical_record(fixture, f"00000000-0000-4000-8000-{n:012d}") for n in range(args.batch)]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = sum(1 for _ in render_batch(records, static_dir, signer, workers=args.workers))
        batch = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)

        t_wall, t_cpu, _ = timed(lambda: render_signed_record(typical, static_dir, signer), args.runs)

        # Render + sign and WeasyPrint alone, run by turns so that both meet the same state of the process,
        # and both with the same room on the frame stack (homevisit.records.stackroom), so neither pays for the other's luck.
        HTML(string=html).write_pdf(stylesheets=[stylesheet])
        (wall, cpu, signed), (alone_wall, alone_cpu, _plain) = timed_by_turns(
            lambda: render_signed_record(record, static_dir, signer),
            with_stack_room(lambda: HTML(string=html).write_pdf(stylesheets=[stylesheet])),
            args.runs,
        )
        assert verify_pdf(signed, trusted_certs=trusted)["intact"]
        print(f"  worst case: full visit, every note at its longest ({len(signed) // 1024} KB signed)")
        print(
            f"    render + sign (PDF/A-3b, JSON attached): median {wall * 1000:7.1f} ms wall "
            f"{cpu * 1000:7.1f} ms CPU   (for comparison: the {TARGETS['render_sign_ms']:.0f} ms target is for "
            f"a full visit as written, below)"
        )
        print(
            f"    WeasyPrint alone, same HTML and CSS:     median {alone_wall * 1000:7.1f} ms wall "
            f"{alone_cpu * 1000:7.1f} ms CPU"
        )
        ratio = wall / alone_wall
        print(
            f"    ratio render + sign / WeasyPrint alone:  {ratio:.2f} wall, {cpu / alone_cpu:.2f} CPU  "
            f"target <= {TARGETS['ratio']}: {verdict(ratio, TARGETS['ratio'])}"
        )

        print("  full visit as written (notes of ~600 characters)")
        print(
            f"    render + sign:                           median {t_wall * 1000:7.1f} ms wall "
            f"{t_cpu * 1000:7.1f} ms CPU   target <= {TARGETS['render_sign_ms']:.0f} ms: "
            f"{verdict(t_wall * 1000, TARGETS['render_sign_ms'])}"
        )
        with_room, without_room = caller_depth_faults(lambda: render_signed_record(typical, static_dir, signer),
                                                      lambda: plain_call(render_signed_record, typical, static_dir, signer))
        print(
            f"    page faults a render, from {len(with_room)} caller depths: {min(with_room)}-{max(with_room)} "
            f"in a frame-stack chunk of its own (homevisit.records.stackroom), {min(without_room)}-{max(without_room)} without"
        )

        # The body map: no marks against 5 marks over all three diagrams, by turns.
        unmarked, marked = marked_record(fixture, 0), marked_record(fixture, 5)
        render_signed_record(unmarked, static_dir, signer)
        render_signed_record(marked, static_dir, signer)
        (m0_wall, m0_cpu, _), (m5_wall, m5_cpu, _) = timed_by_turns(
            lambda: render_signed_record(unmarked, static_dir, signer),
            lambda: render_signed_record(marked, static_dir, signer),
            args.runs,
        )
        marks_ratio = m5_wall / m0_wall
        print("  body map: the full visit as written, render + sign")
        print(f"    no marks:                                median {m0_wall * 1000:7.1f} ms wall {m0_cpu * 1000:7.1f} ms CPU")
        print(f"    5 marks on the front, back and face:     median {m5_wall * 1000:7.1f} ms wall {m5_cpu * 1000:7.1f} ms CPU")
        print(f"    ratio 5 marks / no marks:                {marks_ratio:.2f} wall, {m5_cpu / m0_cpu:.2f} CPU  "
              f"target <= {TARGETS['marks_ratio']}: {verdict(marks_ratio, TARGETS['marks_ratio'])}")

        if args.http_signs:
            web = http_sign(workdir, args.http_signs, static_dir)
            http_ratio = web["http_ms"] / web["in_process_ms"]
            print(f"  sign over HTTP (gunicorn, {web['workers']} sync workers, loopback; POST /api/v1/visits/<id>/signature), "
                  f"full visit with 3 marks")
            print(f"    HTTP sign (check, build, render, sign, store, audit): median {web['http_ms']:7.1f} ms wall over "
                  f"{web['signs']} signs (first in each fresh worker: "
                  f"{', '.join(f'{t:.0f}' for t in web['cold_ms'])} ms, left out)")
            print(f"    in-process render + sign of the same visits' records: median {web['in_process_ms']:7.1f} ms wall")
            print(f"    ratio HTTP / in-process:                 {http_ratio:.2f}  "
                  f"target <= {TARGETS['http_ratio']}: {verdict(http_ratio, TARGETS['http_ratio'])}; "
                  f"HTTP / the full visit as written above: {web['http_ms'] / (t_wall * 1000):.2f}")

        if args.batch:
            print_wall = print_batch(workdir, [render_signed_record(typical, static_dir, signer) for _ in range(3)], args.batch)
            for kind, seconds in print_wall.items():
                print(
                    f"  supervisor's batch print, {args.batch} stored signed records as one {kind.upper()}: {seconds:6.2f} s   "
                    f"target <= {TARGETS['batch_s']:.0f} s: {verdict(seconds, TARGETS['batch_s'])}"
                )
            print(
                f"  render + sign {done} full visits afresh, {args.workers} worker processes: {batch:6.2f} s "
                f"({batch / done * 1000:.0f} ms per record; the workers' CPU {worker_cpu / done * 1000:.0f} ms per record)   "
                f"target <= {TARGETS['batch_s']:.0f} s: {verdict(batch, TARGETS['batch_s'])}"
            )

        stored = workdir / "stored.pdf"
        stored.write_bytes(signed)
        digest = hashlib.sha256(signed).hexdigest()

        def serve() -> bytes:
            data = stored.read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError("stored record does not match its hash")
            return data

        s_wall, _s_cpu, _ = timed(serve, 200)
        print(
            f"  serve the stored record again (read + SHA-256 check): median {s_wall * 1000:.3f} ms   "
            f"target <= {TARGETS['serve_ms']:.0f} ms: {verdict(s_wall * 1000, TARGETS['serve_ms'])}"
        )
        print(stolen.words())


if __name__ == "__main__":
    main()
