"""Local copies of the JavaScript the static site and the slide decks load, from npm.

The pages must show typeset formulas (and the decks must run) with no network at view
time, so nothing is loaded from a CDN: at build time ``npm pack`` fetches each package
below from the npm registry (npm verifies its checksum), it is unpacked once into a cache
(``$LESSONS_ASSET_CACHE``, default ``~/.cache/optimizer-lessons``), and the files a page
needs are copied next to the pages, into ``OUT/assets/``. Building needs ``npm`` (Node.js)
and, the first time, the npm registry; viewing needs neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ASSETS = "assets"


@dataclass(frozen=True)
class Package:
    """An npm package and the paths (files or folders) of it that the pages load."""

    name: str
    version: str
    keep: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"

    def url(self, path: str) -> str:
        """The address of one of its files from a page in the output folder."""
        return f"{ASSETS}/{self.folder}/{path}"


# MathJax 2, as nbconvert's templates configure it: the CommonHTML output with its web
# fonts, the TeX input and the Safe extension. Its accessibility extensions (3.7 MB) and
# translations are left out: the pages never load them.
MATHJAX = Package(
    "mathjax",
    "2.7.9",
    (
        "LICENSE",
        "MathJax.js",
        "config/TeX-AMS_CHTML-full.js",
        "config/Safe.js",
        "extensions/Safe.js",
        "extensions/MathEvents.js",
        "extensions/MathMenu.js",
        "extensions/MathZoom.js",
        "extensions/TeX",
        "extensions/tex2jax.js",
        "extensions/CHTML-preview.js",
        "extensions/fast-preview.js",
        "extensions/AssistiveMML.js",
        "jax/element",
        "jax/input/TeX",
        "jax/output/CommonHTML",
        "fonts/HTML-CSS/TeX/woff",
    ),
)
REQUIREJS = Package("requirejs", "2.3.7", ("require.js",))
JQUERY = Package("jquery", "3.7.1", ("LICENSE.txt", "dist/jquery.min.js"))
REVEAL = Package(
    "reveal.js",
    "4.6.1",
    (
        "LICENSE",
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/reset.css",
        "dist/theme",
        "plugin/notes",
    ),
)


class AssetError(RuntimeError):
    """A package could not be fetched; the message says what to install or do."""


def cache_dir() -> Path:
    return Path(os.environ.get("LESSONS_ASSET_CACHE", Path.home() / ".cache" / "optimizer-lessons"))


def _npm_pack(package: Package, into: Path) -> Path:
    """``npm pack name@version`` into ``into``; return the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"npm is needed once to fetch {package.name} {package.version} (formulas and slides"
            " work offline afterwards): install Node.js (e.g. `sudo apt-get install npm`)"
        )
    spec = f"{package.name}@{package.version}"
    done = subprocess.run(
        [npm, "pack", spec, "--silent", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    tarballs = sorted(into.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise AssetError(
            f"`npm pack {spec}` failed (is the npm registry reachable?): "
            f"{(done.stderr or done.stdout).strip()[-500:]}"
        )
    return tarballs[0]


def unpacked(package: Package) -> Path:
    """The package's files in the cache, fetched and unpacked on first use."""
    target = cache_dir() / package.folder
    if (target / "package.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tarball = _npm_pack(package, Path(tmp))
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(Path(tmp) / "package", target)
    return target


def install(package: Package, out: Path) -> Path:
    """Copy the package's kept files to ``out/assets/<name>-<version>/``; return that folder."""
    source, dest = unpacked(package), out / ASSETS / package.folder
    for relative in package.keep:
        src, dst = source / relative, dest / relative
        if not src.exists():
            raise AssetError(f"{package.folder} has no {relative}: the package list is wrong")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    return dest


MATHJAX_URL = MATHJAX.url("MathJax.js?config=TeX-AMS_CHTML-full,Safe")
REQUIREJS_URL = REQUIREJS.url("require.js")


def fetch(packages: list[Package]) -> None:
    """Have every package in the cache (before anything is written to the output)."""
    for package in packages:
        unpacked(package)
