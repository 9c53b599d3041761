"""Build src/plea/report/world.json: the world map of HTML reports, as SVG path data per state.

Shapes: Natural Earth 1:50m admin-0 countries (public domain) as redistributed in TopoJSON by the
npm package world-atlas 2.0.2 (ISC licence, Mike Bostock); ISO 3166-1 numeric → alpha-2 codes
from the npm package i18n-iso-countries 7.14.0 (MIT licence). See src/plea/report/WORLD-MAP-LICENSE.md.

Steps: decode the topology's shared arcs, project them (Equal Earth), simplify each arc once
(Douglas-Peucker in map units, so neighbouring states keep a common border), drop islands too
small to see, and write one compact relative SVG path per state. The output is the same byte for
byte on every run.

Usage: python scripts/build_world_map.py [--from DIR]   (DIR holding the two .tgz from `npm pack`;
without it the script runs `npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0` itself)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "src" / "plea" / "report" / "world.json"
PACKAGES = {"world-atlas": "2.0.2", "i18n-iso-countries": "7.14.0"}
WIDTH = 1000.0  # map units (SVG user units) from the antimeridian to the antimeridian
TOLERANCE = 0.45  # Douglas-Peucker tolerance, map units
MIN_RING_AREA = 0.8  # smaller islands are dropped (a state keeps at least its largest ring)
SMALL = 30.0  # states whose largest ring covers fewer square units get a marker dot too
SOUTH_LIMIT = -58.0  # Antarctica is left out; the map stops here
# world-atlas features without an ISO numeric id that are states plea writes to
BY_NAME = {"Kosovo": "XK"}
# states too small for the 1:50m data: a marker dot at (longitude, latitude)
DOTS = {"TV": ("Tuvalu", 179.2, -8.52), "VA": ("Vatican City", 12.45, 41.90)}
# Parts of a state's feature that have an ISO 3166-1 code of their own: each becomes a shape of its own,
# so that in a report a territory takes its own colour (as Greenland, Puerto Rico or New Caledonia, which
# are features of their own, do), never its sovereign state's. A ring of the feature goes to the part
# with the nearest point, if it lies within PART_RADIUS_KM of the ring's centre. The points are the CIA
# World Factbook's "Geographic coordinates" (retrieved 2026-12-04): France's entry (its overseas
# departments), read where https://dev.me/country/info/FR reproduces it; Svalbard, The World Factbook
# 2002, read at
# https://bitlit.ru/page/en/united-states-central-intelligence-agency/the-2002-cia-world-factbook/2481;
# Jan Mayen, The World Factbook 2024, read at
# https://worldfactbook.co/edition.php?country=jan-mayen&year=2024. The Netherlands' Caribbean
# islands (BQ) and New Zealand's Tokelau (TK) are below MIN_RING_AREA at 1:50m.
PARTS = {
    "FR": {
        "GF": ("French Guiana", [(-53.0, 4.0)]),  # 4 00 N, 53 00 W
        "GP": ("Guadeloupe", [(-61 - 35 / 60, 16.25)]),  # 16 15 N, 61 35 W
        "MQ": ("Martinique", [(-61.0, 14 + 40 / 60)]),  # 14 40 N, 61 00 W
        "YT": ("Mayotte", [(45 + 10 / 60, -12 - 50 / 60)]),  # 12 50 S, 45 10 E
        "RE": ("Réunion", [(55.6, -21.1)]),  # 21 06 S, 55 36 E
    },
    # Svalbard 78 00 N, 20 00 E; Jan Mayen 71 00 N, 8 00 W
    "NO": {"SJ": ("Svalbard and Jan Mayen", [(20.0, 78.0), (-8.0, 71.0)])},
}
PART_RADIUS_KM = 600.0


# -- projection: Equal Earth (Šavrič, Patterson, Jenny 2018) ------------------------------------
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


X_MAX = equal_earth(180, 0)[0]
SCALE = WIDTH / (2 * X_MAX)
Y_TOP = equal_earth(0, 84)[1]
Y_BOTTOM = equal_earth(0, SOUTH_LIMIT)[1]
HEIGHT = round((Y_TOP - Y_BOTTOM) * SCALE, 1)


def project(lon: float, lat: float) -> tuple[float, float]:
    x, y = equal_earth(lon, lat)
    return (x + X_MAX) * SCALE, (Y_TOP - y) * SCALE


# -- geometry --------------------------------------------------------------------------------------
def simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative; keeps the first and last point."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = abs(dy * (px - ax) - dx * (py - ay)) / norm if norm else math.hypot(px - ax, py - ay)
            if d > worst:
                worst, index = d, i
        if worst > tol:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring: list[tuple[int, int]]) -> float:
    return (
        abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2
    )


def crosses_antimeridian(ring: list[tuple[int, int]]) -> bool:
    """A ring whose outline jumps across the map: it runs over ±180° (Russia's Chukotka, Fiji)."""
    return any(
        abs(x1 - x0) > WIDTH * 10 / 2 for (x0, _), (x1, _) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def unwrap(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A ring that runs over ±180° drawn whole on the side where most of it lies: the points beyond the
    edge are moved by the map's width, so they fall outside the map and the SVG clips them. (Dropping
    such rings lost the whole of mainland Russia.)"""
    if not crosses_antimeridian(ring):
        return ring
    full = int(WIDTH * 10)
    east = sum(x > full / 2 for x, _ in ring) >= len(ring) / 2
    return [(x + full, y) if east and x < full / 2 else (x - full, y) if not east and x >= full / 2 else (x, y)
            for x, y in ring]


def centroid(ring: list[tuple[int, int]]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        f = x0 * y1 - x1 * y0
        a += f
        cx += (x0 + x1) * f
        cy += (y0 + y1) * f
    if abs(a) < 1e-9:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return cx / (3 * a), cy / (3 * a)


def _numbers(values: list[int]) -> str:
    """SVG numbers with the fewest separators: "3-4 5" for 3, -4, 5."""
    out = []
    for k, v in enumerate(values):
        out.append(("" if k == 0 or v < 0 else " ") + str(v))
    return "".join(out)


def path(rings: list[list[tuple[int, int]]]) -> str:
    """Relative SVG path in tenths of a unit (the report scales it by 0.1)."""
    parts = []
    for ring in rings:
        deltas = []
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            deltas += [x1 - x0, y1 - y0]
        parts.append(f"M{_numbers(list(ring[0]))}l{_numbers(deltas)}z")
    return "".join(parts)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (longitude, latitude) points."""
    (lon1, lat1), (lon2, lat2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def split_parts(
    geometries: list[dict], codes: dict[str, str], lonlat: list[list[tuple[float, float]]]
) -> list[dict]:
    """The features, with the PARTS of a state's feature taken out as features of their own (a
    polygon goes to the part with the nearest point, if it is within PART_RADIUS_KM of its outer
    ring's centre)."""
    out = []
    for geom in geometries:
        parts = PARTS.get(codes.get(geom.get("id", ""), ""))
        if not parts or geom["type"] != "MultiPolygon":
            out.append(geom)
            continue
        taken: dict[str, list] = {code: [] for code in parts}
        kept = []
        for polygon in geom["arcs"]:
            points = [p for i in polygon[0] for p in lonlat[i if i >= 0 else ~i]]
            centre = (sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points))
            near, owner = min((min(distance_km(centre, spot) for spot in spots), code)
                              for code, (_name, spots) in parts.items())
            owner = owner if near <= PART_RADIUS_KM else None
            (taken[owner] if owner else kept).append(polygon)
        out.append({**geom, "arcs": kept})
        out += [{"type": "MultiPolygon", "arcs": polys, "code": code, "properties": {"name": parts[code][0]}}
                for code, polys in taken.items() if polys]
    return out


# -- building --------------------------------------------------------------------------------------
def fetch(folder: Path) -> dict[str, Path]:
    specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
    subprocess.run(["npm", "pack", "--silent", *specs], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    return {name: folder / f"{name}-{version}.tgz" for name, version in PACKAGES.items()}


def read_member(tgz: Path, member: str) -> bytes:
    with tarfile.open(tgz) as tar:
        fh = tar.extractfile(f"package/{member}")
        assert fh is not None
        return fh.read()


def build(tarballs: dict[str, Path]) -> dict:
    topo = json.loads(read_member(tarballs["world-atlas"], "countries-50m.json"))
    codes = json.loads(read_member(tarballs["i18n-iso-countries"], "codes.json"))
    numeric_to_alpha2 = {numeric: alpha2 for alpha2, _a3, numeric, *_ in codes}
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]

    arcs, raw, lonlat = [], [], []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        lonlat.append([])
        for dx, dy in arc:
            x += dx
            y += dy
            lon, lat = x * sx + tx, y * sy + ty
            lonlat[-1].append((lon, lat))
            pts.append(project(lon, max(lat, SOUTH_LIMIT - 2)))
        simple = simplify(pts, TOLERANCE)
        arcs.append([(round(px * 10), round(py * 10)) for px, py in simple])
        raw.append([(round(px * 10), round(py * 10)) for px, py in simplify(pts, TOLERANCE / 10)])

    def ring_points(indexes: list[int], source: list[list[tuple[int, int]]] = arcs) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for i in indexes:
            pts = source[i] if i >= 0 else source[~i][::-1]
            out.extend(pts[1:] if out else pts)
        while len(out) > 1 and out[-1] == out[0]:
            out.pop()
        dedup = [p for k, p in enumerate(out) if k == 0 or p != out[k - 1]]
        return dedup

    countries: dict[str, dict] = {}
    others: list[list[tuple[int, int]]] = []
    for geom in split_parts(topo["objects"]["countries"]["geometries"], numeric_to_alpha2, lonlat):
        name = geom.get("properties", {}).get("name", "")
        code = geom.get("code") or numeric_to_alpha2.get(geom.get("id", "")) or BY_NAME.get(name)
        if code == "AQ":
            continue
        if geom["type"] == "Polygon":
            polygons = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        rings = [ring_points(r) for poly in polygons for r in poly]
        rings = [unwrap(r) for r in rings if len(r) >= 3]
        if not rings:  # a micro-state: every ring collapsed under simplification, keep its finer outline
            rings = [r for r in (ring_points(r, raw) for poly in polygons for r in poly) if len(r) >= 3]
        if not rings:
            continue
        areas = [area(r) / 100 for r in rings]
        biggest = max(range(len(rings)), key=areas.__getitem__)
        kept = [r for r, a in zip(rings, areas, strict=True) if a >= MIN_RING_AREA] or [rings[biggest]]
        if code is None:
            others += kept
            continue
        cx, cy = centroid(rings[biggest])
        entry = {"name": name, "d": path(kept), "c": [round(cx / 10, 1), round(cy / 10, 1)]}
        if areas[biggest] < SMALL:
            entry["small"] = True
        if code in countries:  # two features for one code: join them
            countries[code]["d"] += entry["d"]
        else:
            countries[code] = entry
    for code, (name, lon, lat) in DOTS.items():
        if code not in countries:
            x, y = project(lon, lat)
            countries[code] = {"name": name, "d": "", "c": [round(x, 1), round(y, 1)], "small": True}
    return {
        "about": "World map for plea's HTML reports, built by scripts/build_world_map.py",
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via world-atlas 2.0.2 (ISC); "
        "ISO codes via i18n-iso-countries 7.14.0 (MIT). See WORLD-MAP-LICENSE.md.",
        "packages": {
            name: {
                "version": PACKAGES[name],
                "sha256": hashlib.sha256(tarballs[name].read_bytes()).hexdigest(),
            }
            for name in PACKAGES
        },
        "projection": "Equal Earth",
        "unit": 0.1,
        "width": WIDTH,
        "height": HEIGHT,
        "countries": dict(sorted(countries.items())),
        "other_land": path(others),
        "outline": outline(),
    }


def outline() -> str:
    """The map's edge: the ±180° meridians from the northern to the southern limit. The report clips
    the shapes to it, so that the part of a ring unwrapped over ±180° (Chukotka, Fiji) is not drawn
    past the edge (Equal Earth's edge curves inwards towards the poles, inside the rectangle)."""
    lats = [84 - i for i in range(0, int(84 - SOUTH_LIMIT) + 1)]
    east = [project(180, lat) for lat in lats]
    west = [project(-180, lat) for lat in reversed(lats)]
    return path([[(round(x * 10), round(y * 10)) for x, y in east + west]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="folder with the .tgz files from `npm pack`")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.source:
            tarballs = {name: args.source / f"{name}-{version}.tgz" for name, version in PACKAGES.items()}
        else:
            tarballs = fetch(Path(tmp))
        data = build(tarballs)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(
        f"{args.out}: {len(data['countries'])} states, {len(text.encode()) / 1024:.0f} KiB", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
