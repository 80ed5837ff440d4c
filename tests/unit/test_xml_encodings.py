"""KML, KMZ, GPX and GML saved in an encoding GDAL's XML reader does not know (Shift_JIS and
EUC-JP from Japanese GIS software, windows-1252 from older exports) are read from a UTF-8
copy and their names come out right; an encoding nobody knows is refused in words, and a
declared encoding cannot smuggle in a DTD. Fixtures are written here, in each encoding.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyogrio
import pytest
from pyogrio.errors import DataSourceError

from layers.errors import UnreadableLayer
from layers.identify import identify
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.upload_formats import FileFormat
from layers.xml_encoding import as_utf8, foreign_codec
from services.errors import PublishRefused
from tests.support.fuzz_files import store_state
from tests.support.sqlite_publishing import drawn_features, publish, sqlite_setting

LIMITS = UploadLimits()
KML = """<?xml version="1.0" encoding="{encoding}"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>{name}</name>
<Placemark><name>{name}</name><Point><coordinates>153.98,24.28</coordinates></Point></Placemark>
</Document></kml>"""
GPX = """<?xml version="1.0" encoding="{encoding}"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="24.28" lon="153.98"><name>{name}</name></wpt></gpx>"""
GML = """<?xml version="1.0" encoding="{encoding}"?>
<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml" xmlns:sv="http://example.com/sv">
<gml:featureMember><sv:site gml:id="s1"><sv:name>{name}</sv:name><sv:geometry>
<gml:Point srsName="EPSG:4326"><gml:coordinates>153.98,24.28</gml:coordinates></gml:Point>
</sv:geometry></sv:site></gml:featureMember></gml:FeatureCollection>"""
NAMES = {  # a name each encoding can write and GDAL's own reader could not
    "Shift_JIS": "南鳥島のレアアース泥",
    "EUC-JP": "南鳥島 鉱区",
    "windows-1252": "Cañon “Mine” €",
    "ISO-8859-2": "Łódź kopalnia",
    "KOI8-R": "Ловозеро",
    "utf8": "Mountain Pass — ✓",  # an alias expat does not know
}


def names_read(path: Path) -> list[str]:
    inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    frame = inspection.vector_layers[0].frame
    column = "Name" if "Name" in frame.columns else "name"
    return [str(value) for value in frame[column]]


@pytest.mark.parametrize("encoding", sorted(NAMES))
def test_kml_in_an_encoding_gdal_cannot_read_is_read_with_its_names(
        tmp_path: Path, encoding: str) -> None:
    name = NAMES[encoding]
    path = tmp_path / "sites.kml"
    path.write_bytes(KML.format(encoding=encoding, name=name).encode(encoding))
    with pytest.raises(DataSourceError, match="unknown encoding"):
        pyogrio.read_dataframe(path)  # what GDAL alone does: the class this fixes
    assert names_read(path) == [name]
    notes = inspect_upload(path, path.name).report.notes
    assert any("the encoding the file declares" in note for note in notes), notes


@pytest.mark.parametrize(("template", "suffix", "fmt"), [
    (GPX, ".gpx", FileFormat.GPX), (GML, ".gml", FileFormat.GML), (GML, ".xml", FileFormat.GML)])
def test_gpx_and_gml_in_shift_jis(tmp_path: Path, template: str, suffix: str,
                                  fmt: FileFormat) -> None:
    name = NAMES["Shift_JIS"]
    path = tmp_path / f"survey{suffix}"
    path.write_bytes(template.format(encoding="Shift_JIS", name=name).encode("shift_jis"))
    assert identify(path, path.name, LIMITS).format is fmt
    assert name in names_read(path)


def test_kmz_in_euc_jp_publishes_and_draws_its_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    name = NAMES["EUC-JP"]
    path = setting["files"] / "鉱区.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("doc.kml", KML.format(encoding="EUC-JP", name=name).encode("euc_jp"))
    assert names_read(path) == [name]
    drawn = [f for record in publish(setting, path) for f in drawn_features(record)]
    assert len(drawn) == 1
    assert f"<th>Name</th><td>{name}</td>" in drawn[0]["properties"]["popup"]


def test_bytes_not_valid_in_the_declared_encoding_are_counted(tmp_path: Path) -> None:
    data = KML.format(encoding="Shift_JIS", name="鉱山XX").encode("shift_jis")
    path = tmp_path / "damaged.kml"
    path.write_bytes(data.replace(b"XX", b"\x82\xff"))  # a lead byte, no valid trail; twice
    inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    assert any("4 character(s) are not valid shift_jis and show as �" in note
               for note in inspection.report.notes), inspection.report.notes
    assert inspection.vector_layers[0].frame["Name"].tolist() == ["鉱山��"]


@pytest.mark.parametrize("suffix", [".kml", ".gpx", ".gml"])
def test_an_encoding_nobody_knows_is_refused_in_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    template = {".kml": KML, ".gpx": GPX, ".gml": GML}[suffix]
    path = setting["files"] / f"odd{suffix}"
    path.write_text(template.format(encoding="x-surveyor-1", name="Site"))
    words = r"encoding 'x-surveyor-1', which we do not know\. Save it again as UTF-8"
    with pytest.raises(UnreadableLayer, match=words):
        identify(path, path.name, LIMITS)
    report = inspect_upload(path, path.name).report
    assert not report.ok and "Save it again as UTF-8" in report.errors[0]
    before = store_state(setting["engine"], setting["layer_dir"])
    with pytest.raises(PublishRefused, match="which we do not know"):
        publish(setting, path)
    assert store_state(setting["engine"], setting["layer_dir"]) == before


def test_a_doctype_hidden_by_the_declared_encoding_is_refused(tmp_path: Path) -> None:
    """UTF-7 writes ``<`` as ``+ADw-``: the bytes hold no DOCTYPE, the decoded text does."""
    data = (b'<?xml version="1.0" encoding="UTF-7"?>'
            b'+ADw-!DOCTYPE kml +AFs-+ADw-!ENTITY a +ACI-aaaaaaaa+ACI-+AD4-+AF0-+AD4-'
            b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&a;</name>'
            b'<Point><coordinates>1,2</coordinates></Point></Placemark></kml>')
    assert b"<!doctype" not in data.lower()
    assert "<!DOCTYPE kml [<!ENTITY" in data.decode("utf-7")
    path = tmp_path / "hidden.kml"
    path.write_bytes(data)
    report = inspect_upload(path, path.name).report
    assert not report.ok
    assert "DOCTYPE" in report.errors[0]


def test_the_declaration_is_rewritten_and_only_for_encodings_gdal_lacks() -> None:
    assert foreign_codec(b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>", "a") is None
    assert foreign_codec(b'\xef\xbb\xbf<?xml version="1.0"?><a/>', "a") is None
    assert foreign_codec(b'<?xml version="1.0" encoding="sjis"?><a/>', "a") == "shift_jis"
    utf8, unreadable = as_utf8("<?xml version='1.0' encoding='cp932'?><a>①</a>".encode("cp932"),
                               "cp932")
    assert utf8.decode("utf-8") == "<?xml version='1.0' encoding='UTF-8'?><a>①</a>"
    assert unreadable == 0
