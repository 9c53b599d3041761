"""The HTML report in a real browser: headless Chromium (Debian's chromium package) opens the
file, takes a screenshot, and the map's colours are on it; the page logs nothing to the console
(a probe page with a console error, an uncaught exception and a blocked fetch shows that such
messages are caught). The file itself is self-contained: no URL is fetched."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from plea.report.html import COLOURS, OTHER_LAND, SEA
from tests.ngo_fixtures import make_campaign

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
        if p and Path(p).exists()
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
CONSOLE = re.compile(r":CONSOLE[:(]")


def screenshot(page: Path, png: Path, profile: Path, size: str = "1200,900") -> str:
    """Open page in headless Chromium, save a screenshot; its stderr (console messages included)."""
    profile.mkdir()
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        f"--window-size={size}",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0 and png.exists(), r.stderr[-2000:]
    return r.stderr


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def map_colour_counts(png: Path) -> dict[str, int]:
    """Pixels of each map colour inside the map: the rectangle of the map's sea colour."""
    from PIL import Image, ImageChops

    wanted = {key: rgb(c) for key, c in COLOURS.items()}
    wanted["other_land"] = rgb(OTHER_LAND)
    counts = dict.fromkeys(wanted, 0)
    with Image.open(png) as im:
        image = im.convert("RGB")
        channels = [
            ch.point(lambda v, t=t: 255 if v == t else 0)
            for ch, t in zip(image.split(), rgb(SEA), strict=True)
        ]
        box = ImageChops.multiply(ImageChops.multiply(channels[0], channels[1]), channels[2]).getbbox()
        assert box is not None, "no map on the screenshot"
        assert box[2] - box[0] > 600 and box[3] - box[1] > 250, box
        histogram = image.crop(box).getcolors(maxcolors=1 << 20) or []
    for n, pixel in histogram:
        for key, target in wanted.items():
            if all(abs(a - b) <= 2 for a, b in zip(pixel, target, strict=True)):
                counts[key] += n
    return counts


@pytest.mark.heavy  # a headless Chromium per test
@needs_chromium
def test_console_probe_catches_errors(tmp_path: Path) -> None:
    page = tmp_path / "probe.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' content=\"default-src "
        "'none'; script-src 'unsafe-inline'\"></head><body><img src='https://example.invalid/x.png'>"
        "<script>console.error('plea-probe'); throw new Error('plea-uncaught')</script></body></html>",
        encoding="utf-8",
    )
    log = screenshot(page, tmp_path / "probe.png", tmp_path / "profile")
    messages = [line for line in log.splitlines() if CONSOLE.search(line)]
    assert any("plea-probe" in m for m in messages)
    assert any("Uncaught" in m and "plea-uncaught" in m for m in messages)
    assert any("Content Security Policy" in m for m in messages)


@pytest.mark.heavy  # a headless Chromium per test
@needs_chromium
def test_report_renders_its_map_in_chromium(plea, db_file: Path, tmp_path: Path) -> None:
    make_campaign(plea, tmp_path)
    page = tmp_path / "report.html"
    plea("report", "--format", "html", "--out", str(page))
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"(src|href)=['\"]?(https?:)?//", html)
    assert "default-src 'none'" in html
    for code, category in (("FR", "positive"), ("DE", "acknowledged"), ("IT", "silent"), ("BR", "bounced")):
        assert re.search(rf'data-state="{code}" data-category="{category}"', html), code
    log = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    console = [line for line in log.splitlines() if CONSOLE.search(line) or "Uncaught" in line]
    assert console == []
    counts = map_colour_counts(tmp_path / "report.png")
    # the map is drawn: land not written to, and each state's colour (France, Germany, Italy/Spain, Brazil)
    assert counts["none"] > 20000
    for key in ("positive", "acknowledged", "silent", "bounced"):
        assert counts[key] > 150, (key, counts)
    assert (
        counts["negative"] == 0
    )  # France answered negative for one case but positive for another: best wins
