"""Fetch the web assets the published book serves itself (no CDN at page load).

Usage: python3 tools/fetch_assets.py [--force]

Downloads pinned npm packages straight from the npm registry with the standard library
(no Node.js needed), checks each tarball against the registry's ``dist.integrity`` (sha512)
hard-coded below, and extracts only the files the site needs, with each package's licence,
into ``book/_static/vendor/<name>/`` (ignored by git; Sphinx copies it to ``_static``).
A second run is a no-op: a stamp file in each folder records what was extracted.

To upgrade a package: change ``version`` and ``integrity`` together; the integrity is
``dist.integrity`` of https://registry.npmjs.org/<package>/<version>. Set ``MLTK_NPM_REGISTRY``
to use a mirror; if the direct download fails and the ``npm`` command exists, ``npm pack``
is tried (it honours npm's own proxy settings); the integrity check applies either way.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "book" / "_static" / "vendor"
REGISTRY = os.environ.get("MLTK_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
STAMP = ".mltk-vendor.json"

# Licences that the npm tarballs do not ship as a file (the packages declare them in
# package.json and in source headers). Texts from the projects' repositories.
REQUIREJS_LICENSE = """\
RequireJS is released under the MIT license (package.json "license": "MIT"; header of
require.js: "Copyright jQuery Foundation and other contributors. Released under MIT license,
https://github.com/requirejs/requirejs/blob/master/LICENSE").

Copyright jQuery Foundation and other contributors, https://jquery.org/

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

# The clauses and disclaimer of the BSD 3-Clause licence, shared by the packages below that use it.
BSD_3_CLAUSE_BODY = """\
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

JUPYTER_WIDGETS_LICENSE = f"""\
@jupyter-widgets/html-manager is released under the BSD 3-Clause license (package.json
"license": "BSD-3-Clause"), the license of the jupyter-widgets/ipywidgets repository:

Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

{BSD_3_CLAUSE_BODY}
Bundled third-party code is listed in THIRD-PARTY-NOTICES.txt. The bundled icon fonts
are Font Awesome Free 5.15.4 (https://fontawesome.com/license/free): fonts under the
SIL OFL 1.1, icons under CC BY 4.0, code under the MIT license.
"""

THEBE_LICENSE = f"""\
Thebe is released under the BSD 3-Clause license (package.json "license": "BSD-3-Clause"),
whose LICENSE file in the thebe repository (jupyter-book/thebe) reads as follows; the
thebe-core library it bundles is released under the MIT license (thebe-core's package.json
"license": "MIT").

Copyright Min RK

{BSD_3_CLAUSE_BODY}
Bundled third-party code (JupyterLab, Lumino, @jupyter-widgets 8, CodeMirror, jQuery and
others) is listed with its licences in THIRD-PARTY-NOTICES.txt.
"""


@dataclass(frozen=True)
class Package:
    """One pinned npm package and the files of it that the site serves."""

    name: str  # npm name, e.g. "@jupyter-widgets/html-manager"
    version: str
    integrity: str  # dist.integrity from the registry: "sha512-<base64>"
    folder: str  # book/_static/vendor/<folder>/
    # (pattern inside the tarball's package/ folder, destination prefix to strip)
    include: tuple[str, ...]
    strip: str = ""
    license_text: str | None = None  # written as LICENSE when the tarball has none
    renames: dict[str, str] = field(default_factory=dict)

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES: tuple[Package, ...] = (
    # MathJax 3 (Sphinx 7's default is mathjax@3/es5/tex-mml-chtml.js from jsDelivr). Besides
    # the combined component: TeX/MathML extensions it autoloads, the CHTML fonts, and the
    # menu's accessibility components (a11y, ui, sre) that it loads on demand.
    Package(
        name="mathjax",
        version="3.2.2",
        integrity="sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        folder="mathjax",
        include=("LICENSE", "es5/tex-mml-chtml.js", "es5/input/*", "es5/output/chtml/*",
                 "es5/a11y/*", "es5/ui/*", "es5/sre/*"),
        strip="es5/",
    ),
    # require.js: myst-nb's default loads 2.3.4 from cdnjs; 2.3.7 is the same API with fixes.
    Package(
        name="requirejs",
        version="2.3.7",
        integrity="sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
        folder="requirejs",
        include=("require.js",),
        license_text=REQUIREJS_LICENSE,
    ),
    # The ipywidgets 8 embed manager (myst-nb's default is html-manager@1.0.6 from jsDelivr).
    # 1.0.15 bundles @jupyter-widgets/controls ^5.0.13 and base ^6.0.12, the versions of
    # jupyterlab_widgets 3.0.x / ipywidgets 8.1.x. Modern browsers only use woff2/woff.
    Package(
        name="@jupyter-widgets/html-manager",
        version="1.0.15",
        integrity="sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        folder="html-manager",
        include=("dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "dist/embed.js.LICENSE.txt"),
        strip="dist/",
        license_text=JUPYTER_WIDGETS_LICENSE,
        renames={"embed.js.LICENSE.txt": "THIRD-PARTY-NOTICES.txt"},
    ),
    # Live mode (book/_static/mltk-live.js): Thebe 0.9 bundles thebe-core with the ipywidgets 8
    # managers (@jupyter-widgets/base 6, controls 5, jupyterlab-manager 5) and
    # @jupyterlab/services for the kernel connection. Loaded only when a reader makes a page
    # live; webpack loads its chunks from next to index.js. Source maps are left out.
    Package(
        name="thebe",
        version="0.9.3",
        integrity="sha512-Rb/7kVhtlffXra3kIe7OuIGE7awsm2/fGWxw21DiNfnWLnUQiDl9AWqYdshPwZPG/5DzLpsJRPix2xtCPtJmQQ==",
        folder="thebe",
        include=("lib/index.js", "lib/*.index.js", "lib/thebe.css", "lib/index.js.LICENSE.txt"),
        strip="lib/",
        license_text=THEBE_LICENSE,
        renames={"index.js.LICENSE.txt": "THIRD-PARTY-NOTICES.txt"},
    ),
)


def _check_integrity(data: bytes, integrity: str, what: str) -> None:
    algo, _, want = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise SystemExit(f"fetch_assets: integrity mismatch for {what}:\n"
                         f"  expected {integrity}\n  got      {algo}-{got}")


def _download(pkg: Package) -> bytes:
    try:
        req = urllib.request.Request(pkg.tarball_url, headers={"User-Agent": "mltk-fetch-assets"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()
    except OSError as err:
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit(f"fetch_assets: cannot download {pkg.tarball_url}: {err}") from err
        print(f"  direct download failed ({err}); trying `npm pack`", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", f"{pkg.name}@{pkg.version}", "--silent"],
                           cwd=tmp, check=True, stdout=subprocess.DEVNULL)
            (tgz,) = Path(tmp).glob("*.tgz")
            return tgz.read_bytes()


def _wanted(pkg: Package, member: str) -> str | None:
    """Destination (relative to the package folder) of a tarball member, or None."""
    if not member.startswith("package/"):
        return None
    rel = member[len("package/"):]
    if not any(fnmatch.fnmatchcase(rel, pat) for pat in pkg.include):
        return None
    if pkg.strip and rel.startswith(pkg.strip):
        rel = rel[len(pkg.strip):]
    rel = pkg.renames.get(rel, rel)
    parts = Path(rel).parts
    if not parts or any(p in ("", ".", "..") for p in parts) or Path(rel).is_absolute():
        raise SystemExit(f"fetch_assets: unsafe path {member!r} in {pkg.name}")
    return rel


def _stamp(pkg: Package) -> dict:
    return {"name": pkg.name, "version": pkg.version, "integrity": pkg.integrity,
            "include": list(pkg.include)}


def is_current(pkg: Package) -> bool:
    """True when the package folder holds exactly this version's files."""
    stamp = VENDOR / pkg.folder / STAMP
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    if {k: data.get(k) for k in _stamp(pkg)} != _stamp(pkg):
        return False
    return all((VENDOR / pkg.folder / f).is_file() for f in data.get("files", []))


def install(pkg: Package) -> list[str]:
    """Download, verify and extract one package; returns the extracted files."""
    print(f"  {pkg.name}@{pkg.version}: downloading", flush=True)
    data = _download(pkg)
    _check_integrity(data, pkg.integrity, f"{pkg.name}@{pkg.version}")
    VENDOR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{pkg.folder}-", dir=VENDOR))
    files: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                rel = _wanted(pkg, member.name) if member.isfile() else None
                if rel is None:
                    continue
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src:  # type: ignore[union-attr]
                    dest.write_bytes(src.read())
                files.append(rel)
        if pkg.license_text is not None:
            (tmp / "LICENSE").write_text(pkg.license_text)
            files.append("LICENSE")
        if "LICENSE" not in files:
            raise SystemExit(f"fetch_assets: {pkg.name} ships no LICENSE; add license_text")
        files.sort()
        (tmp / STAMP).write_text(json.dumps({**_stamp(pkg), "files": files}, indent=1) + "\n")
        final = VENDOR / pkg.folder
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = sum((VENDOR / pkg.folder / f).stat().st_size for f in files)
    print(f"  {pkg.name}@{pkg.version}: {len(files)} files, {size / 1e6:.1f} MB "
          f"-> {(VENDOR / pkg.folder).relative_to(ROOT)}", flush=True)
    return files


def main(argv: list[str]) -> int:
    force = "--force" in argv
    todo = [p for p in PACKAGES if force or not is_current(p)]
    if not todo:
        print("fetch_assets: vendored web assets are up to date "
              f"({', '.join(f'{p.name}@{p.version}' for p in PACKAGES)})")
        return 0
    print(f"fetch_assets: fetching {len(todo)} package(s) from {REGISTRY}")
    for pkg in todo:
        install(pkg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
