"""Browser fixtures: the app served on 127.0.0.1, Debian's chromium driven by Playwright, and the
checks run on every page visited (axe-core accessibility, no sideways scrolling, 44px touch targets).

Pytest gives every conftest.py outside a package the module name ``conftest``, so once this file is
imported, ``from helpers import ...`` in any test module collected after it resolves here. The root
conftest's helpers (PASSWORD, make_user, make_child, Browser, ...) are re-exported below so those
imports keep working whatever order the directories are collected in.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from helpers import PASSWORD, PHONE, TABLET, make_child, make_user  # noqa: F401 - used by the browser tests

# --- constants -------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "static" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


MIN_TARGET = 44


# --- the live server -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The test app (fresh instance, migrations applied) served on 127.0.0.1; yields the base URL.

    SESSION_COOKIE_SECURE stays True: chromium treats http://127.0.0.1 as a secure context and keeps
    Secure cookies there (checked by every test that signs in).
    """
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # no line per request in the output
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        werkzeug_log.setLevel(level)


# --- the browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pw_browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # a missing browser is a failing test, never a skipped one
        pytest.fail(f"{CHROMIUM} is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    (ARTIFACTS / "axe-minor.txt").unlink(missing_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


@pytest.fixture
def page_at(pw_browser: Any, request: Any) -> Iterator[Callable[..., Any]]:
    """page_at(width, height) -> a new page in a new context with that viewport (touch; mobile on a phone)."""
    contexts: list[Any] = []

    def make(width: int, height: int) -> Any:
        phone = width < 641
        context = pw_browser.new_context(viewport={"width": width, "height": height}, has_touch=True,
                                         is_mobile=phone, device_scale_factor=1, locale="en-GB",
                                         timezone_id="Europe/London")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "browser_call_failed", False)
    for n, context in enumerate(contexts):
        if failed:  # the page as it was when the test failed
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # a diagnostic only: never hide the real failure
                    page.screenshot(path=str(ARTIFACTS / f"FAILED-{_slug(request.node.name)}-{n}-{m}.png"),
                                    full_page=True)
        context.close()


# --- checks run on every page ----------------------------------------------------------------------

_AXE_SOURCE: str | None = None

_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, impact: n.impact, summary: n.failureSummary, html: n.html}))}));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page (axe injected with evaluate: the CSP blocks inline scripts)."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_JS.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE_SOURCE)
    return list(page.evaluate(_RUN_AXE))


def axe_check(page: Any) -> list[dict[str, Any]]:
    """No serious or critical axe-core violation; returns the minor and moderate ones for reporting."""
    violations = axe_violations(page)
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    if bad:
        lines = [f"axe found {len(bad)} serious or critical problem(s) on {page.url}:"]
        for v in bad:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:8]:
                lines.append(f"    {node['target']}: {node['summary']}")
        raise AssertionError("\n".join(lines))
    return [v for v in violations if v not in bad]


_LAYOUT_JS = """(min) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll('body *')].filter(el => {
      const r = el.getBoundingClientRect();
      return r.right > window.innerWidth + 0.5 && r.width > 0 && r.height > 0;
    }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
    problems.push(`scrolls sideways: scrollWidth ${doc.scrollWidth} > innerWidth ${window.innerWidth} (${wide.join(', ')})`);
  }
  const shown = el => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return false;
    if (el.closest('[hidden], .govuk-visually-hidden, .govuk-skip-link')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const describe = el => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.name ? '[name=' + el.name + ']' : ''} "${text}"`;
  };
  const seen = new Set();
  const check = (el, rect, needWidth) => {
    if (seen.has(el)) return;
    seen.add(el);
    if (rect.height < min - 0.5 || (needWidth && rect.width < min - 0.5)) {
      problems.push(`${describe(el)} is ${Math.round(rect.width)}x${Math.round(rect.height)}px (needs ${needWidth ? min + 'x' : ''}${min}px)`);
    }
  };
  const union = (a, b) => {
    const left = Math.min(a.left, b.left), top = Math.min(a.top, b.top);
    return {width: Math.max(a.right, b.right) - left, height: Math.max(a.bottom, b.bottom) - top};
  };
  document.querySelectorAll('button, input[type=submit], input[type=button], .govuk-button').forEach(el => {
    if (shown(el)) check(el, el.getBoundingClientRect(), true);
  });
  document.querySelectorAll('input, select, textarea').forEach(el => {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (['hidden', 'submit', 'button'].includes(type)) return;
    if (type === 'radio' || type === 'checkbox') {
      const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
      if (!label || !shown(label)) return;
      check(el, union(el.getBoundingClientRect(), label.getBoundingClientRect()), true);
      return;
    }
    if (shown(el)) check(el, el.getBoundingClientRect(), false);
  });
  document.querySelectorAll('header a, .govuk-service-navigation a, .govuk-service-navigation button, .govuk-back-link')
    .forEach(el => { if (shown(el)) check(el, el.getBoundingClientRect(), false); });
  return problems;
}"""


def layout_problems(page: Any) -> list[str]:
    return list(page.evaluate(_LAYOUT_JS, MIN_TARGET))


def layout_check(page: Any) -> None:
    """No horizontal scrolling; every visible control and header/navigation link at least 44px tall
    (buttons and radio/checkbox targets 44px wide too)."""
    problems = layout_problems(page)
    if problems:
        raise AssertionError(f"layout problems on {page.url}:\n- " + "\n- ".join(problems))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "page"


class PageChecks:
    """Run on every page visited: a full-page screenshot, then the axe and layout checks.

    Problems are collected, not raised at once, so one run lists every page that needs fixing; the
    test ends with ``checks.assert_clean()`` (and the fixture fails the test if that was forgotten).
    Minor and moderate axe findings are written to test-artifacts/browser/axe-minor.txt.
    """

    def __init__(self, test_name: str):
        self.test_name = test_name
        self.count = 0
        self.problems: list[tuple[str, str]] = []
        self.minor: list[str] = []
        self.finished = False

    def __call__(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        self.count += 1
        label = f"{self.count:02d}-{_slug(name)}"
        page.screenshot(path=str(ARTIFACTS / f"{self.test_name}-{label}.png"), full_page=True)
        for v in axe_violations(page):
            targets = [n["target"] for n in v["nodes"]]
            if v["impact"] in ("serious", "critical"):
                self.problems.append((label, f"axe [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']}) at {targets}"))
            else:
                self.minor.append(f"{self.test_name} {label} [{v['impact']}] {v['id']}: {v['help']} at {targets}")
        for problem in layout_problems(page):
            self.problems.append((label, problem))

    def assert_clean(self) -> None:
        """Fail with every problem found, each once, with the pages it was found on."""
        self.finished = True
        if self.minor:
            with open(ARTIFACTS / "axe-minor.txt", "a", encoding="utf-8") as fh:
                fh.write("\n".join(self.minor) + "\n")
        if self.problems:
            pages: dict[str, list[str]] = {}
            for label, problem in self.problems:
                pages.setdefault(problem, []).append(label)
            raise AssertionError(f"page checks failed ({len(pages)} distinct problem(s); screenshots in "
                                 f"{ARTIFACTS}):\n" + "\n".join(f"- {problem}\n    on pages: {', '.join(labels)}"
                                                               for problem, labels in pages.items()))


@pytest.fixture
def check_page(request: Any) -> Iterator[PageChecks]:
    """check_page(page, name) on every page visited; check_page.assert_clean() at the end of the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    checks = PageChecks(_slug(request.node.name))
    yield checks
    if not checks.finished and checks.problems and not getattr(request.node, "browser_call_failed", False):
        checks.assert_clean()  # the test forgot to: fail here rather than pass quietly
