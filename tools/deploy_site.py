"""Build the deployable site into a directory, versioned the way mike lays a site out.

    python tools/deploy_site.py --out deploy-site                  # nox -s deploy
    python tools/deploy_site.py --out deploy-site --site-url https://example.org/losslab/

The output is what a static host serves at the site's address (nothing is pushed anywhere):

    deploy-site/
      versions.json            [{"version": "0.1.0", "title": "0.1.0", "aliases": ["latest"]}]
      index.html               redirects to the newest version
      404.html                 the newest version's 404 page (absolute links into it)
      0.1.0/                   the site built for <site-url>0.1.0/
      latest/                  a copy of the newest version (the alias mike would make)

Versions already in ``--out`` are kept, so deploying 0.2.0 next to 0.1.0 lists both in the
version selector (Material's ``extra.version.provider: mike``, switched on for this build only by
``LOSSLAB_VERSION_SELECTOR=1``).  The version is the package's (``tools/mkdocs_hooks.py``).
``--offline`` builds instead the copy to open from disk (``LOSSLAB_OFFLINE=1``) into ``--out``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "https://losslab.readthedocs.io/"


def mkdocs_build(out: Path, env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    environ = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env}
    subprocess.run(cmd, cwd=ROOT, env=environ, check=True)


def _version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in v.replace("-", ".").split("."))


def deploy(out: Path, site_url: str, alias: str = "latest") -> str:
    sys.path.insert(0, str(ROOT / "tools"))
    from mkdocs_hooks import package_version

    version = package_version(ROOT)
    base = site_url.rstrip("/") + "/"
    out.mkdir(parents=True, exist_ok=True)
    target = out / version
    if target.exists():
        shutil.rmtree(target)
    env = {"LOSSLAB_SITE_URL": f"{base}{version}/", "LOSSLAB_VERSION_SELECTOR": "1"}
    mkdocs_build(target, env)

    listing = out / "versions.json"
    versions = json.loads(listing.read_text()) if listing.is_file() else []
    versions = [v for v in versions if v["version"] != version]
    for v in versions:
        v["aliases"] = [a for a in v["aliases"] if a != alias]
    versions.append({"version": version, "title": version, "aliases": [alias]})
    versions.sort(key=lambda v: _version_key(v["version"]), reverse=True)
    listing.write_text(json.dumps(versions, indent=2) + "\n")

    newest = versions[0]["version"]
    alias_dir = out / alias
    if alias_dir.exists():
        shutil.rmtree(alias_dir)
    shutil.copytree(out / newest, alias_dir)
    url = html.escape(f"{newest}/")
    (out / "index.html").write_text(
        f'<!doctype html><meta charset="utf-8"><title>losslab</title>'
        f'<meta http-equiv="refresh" content="0; url={url}">'
        f'<link rel="canonical" href="{html.escape(base)}{url}">'
        f'<p>Redirecting to <a href="{url}">the documentation of losslab {newest}</a>.</p>\n'
    )
    shutil.copy2(out / newest / "404.html", out / "404.html")
    return version


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "deploy-site", help="output directory")
    ap.add_argument(
        "--site-url",
        default=os.environ.get("LOSSLAB_SITE_URL", DEFAULT_URL),
        help="address the output directory is served from (default: $LOSSLAB_SITE_URL, else "
        f"{DEFAULT_URL})",
    )
    ap.add_argument("--offline", action="store_true", help="build the file:// copy instead")
    args = ap.parse_args(argv)
    if args.offline:
        mkdocs_build(args.out, {"LOSSLAB_OFFLINE": "1"})
        print(f"offline copy: open {args.out.resolve() / 'index.html'} in a browser")
        return 0
    version = deploy(args.out, args.site_url)
    print(f"deployable site for {args.site_url}: {args.out.resolve()} (version {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
