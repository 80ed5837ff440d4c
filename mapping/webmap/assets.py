"""Install the map's front-end assets into ``mapping/static/vendor/``:
``python -m mapping.webmap.assets``, in a checkout and after installing the package.

The app must work with no internet, so every script, style sheet and image the map
loads is a local copy served by Streamlit (``server.enableStaticServing``) from
``static/`` next to the page router (``mapping/main.py``), at ``/app/static/``. The copies
come from the xstatic PyPI packages (project dependencies) and, for the Leaflet plugins, from
``npm pack`` of the exact versions folium 0.20 points at. ``mapping/static/vendor/`` is
git-ignored and never shipped in the wheel; ``MANIFEST.json`` there records what was
installed, so rerunning is a no-op. ``--copy-from FOLDER`` copies them instead from another
installation's vendor folder (no npm, no network), each file checked against that folder's
``MANIFEST.json``. Standard library only (no streamlit, no folium).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final, Literal

from mapping.errors import AssetError

ROOT: Final = Path(__file__).resolve().parent.parent  # the folder of the page router, mapping/
STATIC_DIR: Final = ROOT / "static"
VENDOR_DIR: Final = STATIC_DIR / "vendor"
MANIFEST_PATH: Final = VENDOR_DIR / "MANIFEST.json"
STATIC_URL: Final = "/app/static"
VENDOR_URL: Final = f"{STATIC_URL}/vendor"
NPM_TIMEOUT_S: Final = 300


@dataclass(frozen=True)
class Bundle:
    """One library copied to ``mapping/static/vendor/<name>/``."""

    name: str
    version: str
    kind: Literal["xstatic", "npm"]
    package: str  # xstatic module (``xstatic.pkg.leaflet``) or npm package name
    files: tuple[tuple[str, str], ...]  # (destination in the bundle, path in the package)

    @property
    def directory(self) -> Path:
        return VENDOR_DIR / self.name

    def url(self, destination: str) -> str:
        return f"{VENDOR_URL}/{self.name}/{destination}"


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in names)


_LEAFLET_IMAGES = (
    "layers.png",
    "layers-2x.png",
    "marker-icon.png",
    "marker-icon-2x.png",
    "marker-shadow.png",
)
_MEASURE_IMAGES = tuple(
    f"{icon}{suffix}.png"
    for icon in ("cancel", "check", "focus", "rulers", "start", "trash")
    for suffix in ("", "_@2X")
)

LEAFLET = Bundle(
    name="leaflet",
    version="1.9.3",
    kind="xstatic",
    package="xstatic.pkg.leaflet",
    files=_same("leaflet.js", "leaflet.css", *(f"images/{image}" for image in _LEAFLET_IMAGES)),
)
JQUERY = Bundle(
    name="jquery",
    version="3.7.1",
    kind="xstatic",
    package="xstatic.pkg.jquery",
    files=(("jquery-3.7.1.min.js", "jquery.min.js"),),
)
MARKERCLUSTER = Bundle(
    name="leaflet.markercluster",
    version="1.4.1",
    kind="xstatic",
    package="xstatic.pkg.leaflet_markercluster",
    files=_same("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
)
# folium: cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js, a CDN
# minification of Control.FullScreen.js (the npm package has no .min file). Its CSS
# uses icon-fullscreen.svg.
FULLSCREEN = Bundle(
    name="leaflet.fullscreen",
    version="3.0.0",
    kind="npm",
    package="leaflet.fullscreen",
    files=_same(
        "Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg", "LICENSE"
    ),
)
# folium: cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js and
# .min.css (a CDN minification of the already minified dist/leaflet-measure.css, which
# uses images/*.png). folium's MeasureControl template patches 2.1.7 for Leaflet >= 1.8;
# leaflet-measure 3.x is a different build (assets/ folder, one js file per language).
MEASURE = Bundle(
    name="leaflet-measure",
    version="2.1.7",
    kind="npm",
    package="leaflet-measure",
    files=(
        ("leaflet-measure.min.js", "dist/leaflet-measure.min.js"),
        ("leaflet-measure.css", "dist/leaflet-measure.css"),
        ("LICENSE", "LICENSE"),
        *((f"images/{image}", f"dist/images/{image}") for image in _MEASURE_IMAGES),
    ),
)
# folium: cdn.jsdelivr.net/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.js
# (unversioned git master). npm leaflet-mouse-position@1.2.0 is the npm wrapper of that
# plugin, with the same L.Control.MousePosition code and options.
MOUSE_POSITION = Bundle(
    name="leaflet-mouse-position",
    version="1.2.0",
    kind="npm",
    package="leaflet-mouse-position",
    files=(
        ("L.Control.MousePosition.js", "src/L.Control.MousePosition.js"),
        ("L.Control.MousePosition.css", "src/L.Control.MousePosition.css"),
        ("LICENSE", "MIT-LICENCE.txt"),
    ),
)

BUNDLES: Final = (LEAFLET, JQUERY, MARKERCLUSTER, FULLSCREEN, MEASURE, MOUSE_POSITION)

VENDOR_URLS: Final[dict[str, str]] = {
    "leaflet_js": LEAFLET.url("leaflet.js"),
    "leaflet_css": LEAFLET.url("leaflet.css"),
    "jquery_js": JQUERY.url("jquery-3.7.1.min.js"),
    "markercluster_js": MARKERCLUSTER.url("leaflet.markercluster.js"),
    "markercluster_css": MARKERCLUSTER.url("MarkerCluster.css"),
    "markercluster_default_css": MARKERCLUSTER.url("MarkerCluster.Default.css"),
    "fullscreen_js": FULLSCREEN.url("Control.FullScreen.js"),
    "fullscreen_css": FULLSCREEN.url("Control.FullScreen.css"),
    "measure_js": MEASURE.url("leaflet-measure.min.js"),
    "measure_css": MEASURE.url("leaflet-measure.css"),
    "mouse_position_js": MOUSE_POSITION.url("L.Control.MousePosition.js"),
    "mouse_position_css": MOUSE_POSITION.url("L.Control.MousePosition.css"),
}


def url_to_path(url: str) -> Path:
    """The file under ``static/`` that Streamlit serves at ``url`` (``/app/static/...``)."""
    if not url.startswith(f"{STATIC_URL}/"):
        raise ValueError(f"not an app static URL: {url!r}")
    relative = PurePosixPath(url.removeprefix(f"{STATIC_URL}/"))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"unsafe static URL: {url!r}")
    return STATIC_DIR.joinpath(*relative.parts)


# ---------------------------------------------------------------- manifest
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest() -> dict[str, dict]:
    try:
        bundles = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["bundles"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return bundles if isinstance(bundles, dict) else {}


def _write_manifest(bundles: dict[str, dict]) -> None:
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"bundles": bundles}, indent=2, sort_keys=True) + "\n"
    MANIFEST_PATH.write_text(text, encoding="utf-8")


def _is_current(bundle: Bundle, entry: dict | None) -> bool:
    """True if the manifest entry matches ``bundle`` and every file is intact."""
    if not entry or entry.get("version") != bundle.version:
        return False
    files = entry.get("files") or {}
    if set(files) != {destination for destination, _ in bundle.files}:
        return False
    for destination, digest in files.items():
        path = bundle.directory / destination
        if not path.is_file() or _sha256(path.read_bytes()) != digest:
            return False
    return True


def pending(bundles: tuple[Bundle, ...] = BUNDLES) -> list[Bundle]:
    """Bundles that are missing, outdated or damaged in ``mapping/static/vendor/``."""
    manifest = _read_manifest()
    return [b for b in bundles if not _is_current(b, manifest.get(b.name))]


# ---------------------------------------------------------------- fetching
def _safe_destination(destination: str) -> PurePosixPath:
    path = PurePosixPath(destination)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise AssetError(f"unsafe destination path {destination!r}")
    return path


def _from_xstatic(bundle: Bundle) -> tuple[str, dict[str, bytes]]:
    try:
        module = importlib.import_module(bundle.package)
    except ImportError as exc:
        raise AssetError(
            f"cannot import {bundle.package}: install the project's dependencies "
            "(pip install -e .), which include the XStatic packages"
        ) from exc
    if bundle.version != module.VERSION:
        raise AssetError(
            f"{module.PACKAGE_NAME} provides {bundle.name} {module.VERSION}, "
            f"expected {bundle.version}: install {module.PACKAGE_NAME}=={bundle.version}.*"
        )
    base = Path(module.BASE_DIR)
    contents = {dst: (base / src).read_bytes() for dst, src in bundle.files}
    return f"pypi:{module.PACKAGE_NAME}=={module.PACKAGE_VERSION}", contents


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is required to fetch the Leaflet plugins (leaflet.fullscreen, "
            "leaflet-measure, leaflet-mouse-position) but was not found on PATH. Install "
            "Node.js with npm (e.g. `apt-get install npm`, or Node.js 20 from nodejs.org), "
            "then rerun `python -m mapping.webmap.assets`."
        )
    return npm


def _from_npm(bundle: Bundle, npm: str) -> tuple[str, dict[str, bytes]]:
    spec = f"{bundle.package}@{bundle.version}"
    with tempfile.TemporaryDirectory(prefix="permitmap-npm-") as tmp:
        try:
            subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--ignore-scripts", "--silent"],
                check=True,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                cwd=tmp,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            stderr = exc.stderr if isinstance(exc.stderr, str) else ""
            detail = (stderr or str(exc)).strip()[-800:]
            raise AssetError(f"`npm pack {spec}` failed (registry reachable?): {detail}") from exc
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise AssetError(f"`npm pack {spec}` produced {len(tarballs)} tarballs")
        # Read only the members we list, as bytes: destinations come from BUNDLES, never
        # from archive names, so the archive cannot write outside mapping/static/vendor/.
        with tarfile.open(tarballs[0], "r:gz") as tar:

            def read(name: str) -> bytes:
                try:
                    member = tar.getmember(f"package/{name}")
                except KeyError:
                    raise AssetError(f"{spec} has no file {name}") from None
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise AssetError(f"{spec}: {name} is not a regular file")
                return handle.read()

            version = json.loads(read("package.json")).get("version")
            if version != bundle.version:
                raise AssetError(f"npm returned {bundle.package} {version} for {spec}")
            contents = {dst: read(src) for dst, src in bundle.files}
    return f"npm:{spec}", contents


def _install(bundle: Bundle, source: str, contents: dict[str, bytes]) -> dict:
    if bundle.directory.exists():
        shutil.rmtree(bundle.directory)
    for destination, data in contents.items():
        path = bundle.directory.joinpath(*_safe_destination(destination).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    files = {dst: _sha256(data) for dst, data in sorted(contents.items())}
    return {"version": bundle.version, "source": source, "files": files}


def _from_folder(folder: Path, bundles: list[Bundle]) -> dict[str, tuple[str, dict[str, bytes]]]:
    """Each bundle's files read from another installation's vendor folder (``--copy-from``),
    checked against that folder's ``MANIFEST.json``: the version this code expects, the same
    file list, the SHA-256 of every file. Everything is read before anything is written."""
    manifest_path = folder / "MANIFEST.json"
    try:
        entries = json.loads(manifest_path.read_text(encoding="utf-8"))["bundles"]
        if not isinstance(entries, dict):
            raise TypeError("'bundles' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetError(
            f"cannot copy from {folder}: {manifest_path} cannot be read ({exc}); install the "
            "assets there first (python -m mapping.webmap.assets)"
        ) from exc
    fetched: dict[str, tuple[str, dict[str, bytes]]] = {}
    for bundle in bundles:
        entry = entries.get(bundle.name)
        found = entry.get("version") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or found != bundle.version:
            raise AssetError(
                f"{folder} holds {bundle.name} {found or '(missing)'}, this version of permitmap "
                f"needs {bundle.version}"
            )
        files = entry.get("files")
        expected = {destination for destination, _ in bundle.files}
        if not isinstance(files, dict) or set(files) != expected:
            raise AssetError(f"{manifest_path} lists other files for {bundle.name} "
                             f"{bundle.version} than this version of permitmap installs")
        contents: dict[str, bytes] = {}
        for destination in sorted(expected):
            path = folder.joinpath(bundle.name, *_safe_destination(destination).parts)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise AssetError(f"cannot read {path}: {exc.strerror or exc}") from exc
            if _sha256(data) != files[destination]:
                raise AssetError(f"{path} differs from its checksum in {manifest_path} "
                                 "(changed or damaged): reinstall the assets there")
            contents[destination] = data
        fetched[bundle.name] = (str(entry.get("source") or f"copy:{folder}"), contents)
    return fetched


# ---------------------------------------------------------------- entry points
def install(
    force: bool = False, log: Callable[[str], None] = print, copy_from: Path | None = None
) -> list[str]:
    """Install missing/outdated bundles; return their names (empty list: nothing to do).

    From the xstatic packages and npm, or with ``copy_from`` from another installation's
    ``static/vendor`` folder (checked against its ``MANIFEST.json``; no npm, no network).
    Raises AssetError (e.g. npm missing or registry unreachable) with a clear message.
    """
    todo = list(BUNDLES) if force else pending()
    manifest = _read_manifest()
    stale = [name for name in manifest if name not in {b.name for b in BUNDLES}]
    if not todo and not stale:
        summary = ", ".join(f"{b.name} {b.version}" for b in BUNDLES)
        log(f"{VENDOR_DIR} is up to date: {summary}")
        return []
    # Fail before writing: npm found, or every file of the other folder read and checked.
    copies = _from_folder(copy_from, todo) if copy_from is not None else {}
    npm = _npm() if copy_from is None and any(b.kind == "npm" for b in todo) else ""
    for name in stale:
        if PurePosixPath(name).name == name and name not in ("", ".", ".."):
            shutil.rmtree(VENDOR_DIR / name, ignore_errors=True)
        del manifest[name]
        log(f"removed {name} (no longer used)")
    for bundle in todo:
        if copy_from is not None:
            source, contents = copies[bundle.name]
            origin = f"{copy_from} (originally {source})"
        else:
            source, contents = (_from_npm(bundle, npm) if bundle.kind == "npm"
                                else _from_xstatic(bundle))
            origin = source
        manifest[bundle.name] = _install(bundle, source, contents)
        _write_manifest(manifest)  # after each bundle, so an interrupted run resumes
        log(f"installed {bundle.name} {bundle.version} from {origin} ({len(contents)} files)")
    _write_manifest(manifest)
    return [b.name for b in todo]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mapping.webmap.assets", description="Install the map's vendored assets."
    )
    parser.add_argument("--force", action="store_true", help="reinstall every bundle")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="only report; exit 1 if anything is missing"
    )
    mode.add_argument(
        "--copy-from", type=Path, metavar="FOLDER",
        help="copy the bundles from another installation's mapping/static/vendor folder, "
             "checked against its MANIFEST.json (no npm, no network)",
    )
    args = parser.parse_args(argv)
    if args.check:
        missing = pending()
        for bundle in missing:
            print(f"missing or outdated: {bundle.name} {bundle.version}", file=sys.stderr)
        print(f"{VENDOR_DIR} is up to date" if not missing
              else "run: python -m mapping.webmap.assets")
        return 1 if missing else 0
    try:
        install(force=args.force, copy_from=args.copy_from)
    except (AssetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
