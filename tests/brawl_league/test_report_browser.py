"""The report page in a real headless browser: Debian's chromium driven through chromedriver (selenium).

Each page is served from a localhost HTTP server and checked the way a reader would see it: every image
loaded with a real size, the tables rendered, no error in the browser console. ``make test`` installs
``chromium`` and ``chromium-driver`` when they are missing; without them these tests FAIL, unless
``BRAWL_SKIP_BROWSER=1`` is set, which skips them on purpose.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest

from brawl_league.report import build_report
from brawl_league.report.plots import RUN_PLOTS

from test_report import tiny_run_once, write_tournament  # noqa: I001 (tests/ is on sys.path under pytest)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1024",
]
RUN_FIGURES = [f"plot-{name.replace('_', '-')}" for name, *_ in RUN_PLOTS]

# What the page shows, as the browser sees it: every image's state and every table's size.
PAGE_STATE_JS = """
return {
  images: Array.from(document.images).map(img => ({
    src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
    figure: img.closest('figure') ? img.closest('figure').id : '',
    complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    shownWidth: img.getBoundingClientRect().width})),
  tables: Object.fromEntries(Array.from(document.querySelectorAll('table[id]')).map(t => [t.id,
    Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))])),
  tableHeights: Object.fromEntries(Array.from(document.querySelectorAll('table[id]')).map(
    t => [t.id, t.getBoundingClientRect().height])),
};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if os.environ.get("BRAWL_SKIP_BROWSER") == "1":
        pytest.skip("BRAWL_SKIP_BROWSER=1: the browser test is skipped on request")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"the browser test needs Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): run `make test` (it installs them) or `apt-get install chromium "
            "chromium-driver`; set BRAWL_SKIP_BROWSER=1 to skip this test on purpose"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A localhost HTTP server over a fresh folder (port 0: any free port); yields (root, base URL)."""
    root = tmp_path_factory.mktemp("site")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def open_page(driver, url: str) -> tuple[dict, list[str]]:
    """Load ``url``; return what the page shows and the problems a reader would see: images that did
    not load (or have no alt text) and SEVERE browser console entries."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"
        )
    )
    state = driver.execute_script(PAGE_STATE_JS)
    problems = []
    for img in state["images"]:
        if not img["complete"] or img["width"] <= 0 or img["height"] <= 0:
            problems.append(f"broken image {img['src']!r} (alt {img['alt']!r})")
        if not img["alt"].strip():
            problems.append(f"image {img['src']!r} has no alt text")
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"console: {entry.get('message')}")
    return state, problems


@pytest.fixture(scope="module")
def run_report(site, tmp_path_factory):
    """A tiny training run made here, reported into the served folder."""
    root, base = site
    run_dir, _ = tiny_run_once(tmp_path_factory)
    build_report(run_dir, root / "run")
    return root / "run", f"{base}/run/index.html"


def test_run_report_renders_in_chromium(browser, run_report):
    _, url = run_report
    state, problems = open_page(browser, url)
    assert problems == []
    figures = [img["figure"] for img in state["images"]]
    assert figures == RUN_FIGURES  # every plot present, in order, and nothing else
    assert all(img["width"] >= 400 and img["shownWidth"] > 100 for img in state["images"])
    criteria = state["tables"]["criteria"]
    assert len(criteria) == 5 and all(len(row) == 5 for row in criteria)
    assert [row[0] for row in criteria] == [
        "Win rate vs BasedBot",
        "Damage ratio (dealt / taken)",
        "Knockouts per episode",
        "Weapon pickups per episode",
        "Survival time per episode",
    ]
    assert all(row[3] in ("met", "not met", "no data") for row in criteria)
    assert state["tableHeights"]["criteria"] > 100
    assert len(state["tables"]["league-table"]) >= 3


def test_tournament_report_renders_in_chromium(browser, site):
    root, base = site
    build_report(write_tournament(root / "tournament-dir"), root / "tournament")
    state, problems = open_page(browser, f"{base}/tournament/index.html")
    assert problems == []
    assert [img["figure"] for img in state["images"]] == ["plot-heatmap", "plot-ratings"]
    ratings = state["tables"]["ratings"]
    assert [row[1] for row in ratings] == ["ArmoryBot", "BasedBot", "<b>Evil & Co</b>"]  # shown as text
    h2h = state["tables"]["head-to-head"]
    assert len(h2h) == 3 and h2h[0][1:] == ["–", "0.75", "0.85"]


def test_the_checker_catches_a_broken_image(browser, site, run_report):
    """The checks above can fail: a copy of the page with one image pointing at a missing file."""
    root, base = site
    folder, _ = run_report
    broken = root / "broken"
    shutil.copytree(folder, broken)
    index = broken / "index.html"
    index.write_text(index.read_text().replace('src="elo.png"', 'src="no-such-plot.png"'))
    _, problems = open_page(browser, f"{base}/broken/index.html")
    assert any("broken image 'no-such-plot.png'" in p for p in problems), problems
    assert any(p.startswith("console:") and "404" in p for p in problems), problems


def test_the_checker_catches_a_console_error(browser, site):
    root, base = site
    page = root / "console" / "index.html"
    page.parent.mkdir()
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
        "<body><script>console.error('deliberate')</script></body></html>"
    )
    _, problems = open_page(browser, f"{base}/console/index.html")
    assert any("deliberate" in p for p in problems), problems
