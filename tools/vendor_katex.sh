#!/bin/sh
# Vendor KaTeX into docs/assets/katex from the npm registry (run from the repo root).
# Keeps only what the site uses: katex.min.js, katex.min.css and the woff2 fonts.
# The CSS is rewritten so each @font-face lists only its woff2 file: a browser
# never asks for the .woff/.ttf files that are not shipped.
#   usage: sh tools/vendor_katex.sh [version]        (default: the version below)
set -eu
VERSION="${1:-0.19.1}"
DEST="docs/assets/katex"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "katex@$VERSION" >/dev/null && tar xzf "katex-$VERSION.tgz")
rm -rf "$DEST"
mkdir -p "$DEST/fonts"
cp "$TMP/package/dist/katex.min.js" "$DEST/"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
cp "$TMP/package/dist/fonts/"*.woff2 "$DEST/fonts/"
sed -E 's/,url\(fonts\/[A-Za-z0-9_-]+\.woff\) format\("woff"\),url\(fonts\/[A-Za-z0-9_-]+\.ttf\) format\("truetype"\)//g' \
    "$TMP/package/dist/katex.min.css" >"$DEST/katex.min.css"
if grep -Eq '\.(woff|ttf)\)' "$DEST/katex.min.css"; then
    echo "vendor_katex: katex.min.css still references woff/ttf fonts" >&2
    exit 1
fi
echo "$VERSION" >"$DEST/VERSION"
echo "KaTeX $VERSION vendored into $DEST ($(du -sh "$DEST" | cut -f1))"
