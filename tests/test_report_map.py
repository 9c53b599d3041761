"""The HTML report's world map, read from the file `plea report --format html` writes: every shape takes
the colour of its own state or territory code, never another's (issue #25: Greenland was grey while
French Guiana took France's colour); and the map data's overseas parts are shapes of their own."""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from plea.report.html import COLOURS, category, world
from tests.ngo_fixtures import make_campaign

SVG = "{http://www.w3.org/2000/svg}"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_world_map.py"
#: parts of a state with an ISO 3166-1 code of their own, drawn inside their state by Natural Earth
OVERSEAS = {"GF": "FR", "GP": "FR", "MQ": "FR", "YT": "FR", "RE": "FR", "SJ": "NO"}


def map_shapes(html: str) -> dict[str, tuple[str, str]]:
    """data-state → (fill, data-category) of each path of the report's map."""
    svg = html[html.index('<svg class="map"'):]
    root = ET.fromstring(svg[: svg.index("</svg>") + len("</svg>")])
    shapes = {}
    for path in root.iter(f"{SVG}path"):
        if "data-state" in path.attrib:
            shapes[path.attrib["data-state"]] = (path.attrib["fill"], path.attrib["data-category"])
    return shapes


def rings(d: str) -> list[list[tuple[int, int]]]:
    """The rings of a relative SVG path as world.json writes them (M x y l dx dy … z), in tenths of a unit."""
    out = []
    for start, moves in re.findall(r"M([^l]*)l([^z]*)z", d):
        x, y = (int(v) for v in re.findall(r"-?\d+", start))
        points = [(x, y)]
        steps = [int(v) for v in re.findall(r"-?\d+", moves)]
        for dx, dy in zip(steps[::2], steps[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        out.append(points)
    return out


def test_every_shape_takes_its_own_codes_colour(plea, db_file: Path, tmp_path: Path) -> None:
    make_campaign(plea, tmp_path)
    report: dict[str, Any] = json.loads(plea("report", "--format", "json").stdout)
    page = tmp_path / "report.html"
    plea("report", "--format", "html", "--out", str(page))
    shapes = map_shapes(page.read_text(encoding="utf-8"))
    rows = {r["state"]: r for r in report["states"]}
    held = {r["state"] for r in report["held_back"]}
    assert set(shapes) == {code for code, shape in world()["countries"].items() if shape["d"]}
    for code, (fill, cat) in shapes.items():
        expected = "held" if code in held and code not in rows else category(rows.get(code))
        assert (cat, fill) == (expected, COLOURS[expected]), code
    assert shapes["FR"][1] == "positive"
    # the territories take their own colour: not written to, as Greenland, whatever France's answer
    for code in ("GL", "GF", "RE", "PR", "NC"):
        assert shapes[code] == (COLOURS["none"], "none"), code


def test_overseas_parts_are_shapes_of_their_own() -> None:
    countries = world()["countries"]
    for code in OVERSEAS:
        assert code in countries and countries[code]["name"], code
    # France is metropolitan France and Corsica, Norway its mainland: every point within Europe on the map
    # (map units; Svalbard lies north of y = 12)
    for code, (west, east, north, south) in {"FR": (470, 540, 60, 100), "NO": (500, 570, 12, 50)}.items():
        points = [p for ring in rings(countries[code]["d"]) for p in ring]
        xs, ys = [x / 10 for x, _ in points], [y / 10 for _, y in points]
        assert west <= min(xs) and max(xs) <= east and north <= min(ys) and max(ys) <= south, code
    # French Guiana is on the map where South America's north coast is, beside Suriname
    gf, sr = countries["GF"]["c"], countries["SR"]["c"]
    assert abs(gf[0] - sr[0]) < 15 and abs(gf[1] - sr[1]) < 10


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("build_world_map", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_splits_a_part_by_the_nearest_point_within_reach() -> None:
    build = load_script()
    # arcs in (longitude, latitude): metropolitan France, French Guiana, Martinique, a far island of no part
    lonlat = [[(2.0, 46.0), (3.0, 47.0), (2.5, 45.0)], [(-53.0, 3.5), (-52.5, 4.5), (-53.5, 4.0)],
              [(-61.0, 14.6), (-60.9, 14.7), (-61.1, 14.7)], [(-30.0, 0.0), (-29.5, 0.5), (-30.5, 0.5)]]
    france = {"type": "MultiPolygon", "id": "250", "arcs": [[[0]], [[1]], [[2]], [[3]]],
              "properties": {"name": "France"}}
    other = {"type": "Polygon", "id": "840", "arcs": [[0]], "properties": {"name": "United States"}}
    out = build.split_parts([france, other], {"250": "FR", "840": "US"}, lonlat)
    assert out[0] == {**france, "arcs": [[[0]], [[3]]]}  # what is no part stays with the state
    assert out[-1] is other
    parts = {g["code"]: (g["properties"]["name"], g["arcs"]) for g in out[1:-1]}
    # Martinique's ring is within reach of Guadeloupe's point too: the nearest point wins
    assert parts == {"GF": ("French Guiana", [[[1]]]), "MQ": ("Martinique", [[[2]]])}


def test_shapes_over_the_antimeridian_stop_at_the_maps_edge(plea, db_file: Path, tmp_path: Path) -> None:
    """Russia's Chukotka runs over 180°: unwrapped, it lay beyond Equal Earth's curved edge and showed as
    a bar in the map's empty north-east corner. The report clips the shapes to the map's outline."""
    make_campaign(plea, tmp_path)
    page = tmp_path / "report.html"
    plea("report", "--format", "html", "--out", str(page))
    html = page.read_text(encoding="utf-8")
    svg = html[html.index('<svg class="map"'):]
    root = ET.fromstring(svg[: svg.index("</svg>") + len("</svg>")])
    clip = root.find(f"{SVG}defs/{SVG}clipPath")
    assert clip is not None
    group = next(g for g in root.iter(f"{SVG}g") if any("data-state" in p.attrib for p in g))
    assert group.attrib["clip-path"] == f"url(#{clip.attrib['id']})"
    edge = rings(clip[0].attrib["d"])[0]
    ru = [p for ring in rings(world()["countries"]["RU"]["d"]) for p in ring]
    # some of Russia lies beyond the edge at its latitude (what the clip is for) …
    east = [(ex, ey) for ex, ey in edge if ex > world()["width"] * 5]

    def edge_at(y: int) -> int:  # the east edge's x at height y (its nearest point; points are 1° apart)
        return min(east, key=lambda p: abs(p[1] - y))[0]

    beyond = [(x, y) for x, y in ru if x > edge_at(y) + 20]
    assert beyond, "Russia no longer crosses the map's edge: the clip may be unneeded"
    # … and the edge is the ±180° meridian: on it at the equator, inside the rectangle towards the poles
    width = world()["width"] * 10
    assert max(x for x, _ in edge) == round(width) and min(x for x, _ in edge) == 0
    assert max(x for x, y in edge if y < 200) < width * 0.9
