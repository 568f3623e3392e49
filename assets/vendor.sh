#!/usr/bin/env bash
# Re-vendors the front-end packages Procure embeds, from the npm registry, pinned.
# Only the files the stylesheet references (plus the icon sprite and the scripts) are kept,
# so the binary carries ~1.5 MB of assets instead of the package's 20 MB.
# Usage: assets/vendor.sh   (needs npm; run from anywhere)
set -euo pipefail
USWDS=3.14.0
HTMX=2.0.11
HTMX_WS=2.0.4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@uswds/uswds@$USWDS" "htmx.org@$HTMX" "htmx-ext-ws@$HTMX_WS" >/dev/null
mkdir u h w
tar xzf "uswds-uswds-$USWDS.tgz" -C u
tar xzf "htmx.org-$HTMX.tgz" -C h
tar xzf "htmx-ext-ws-$HTMX_WS.tgz" -C w
dist=u/package/dist
out="$here/vendor/uswds"
rm -rf "$out" "$here/vendor/htmx"
mkdir -p "$out/css" "$out/js" "$out/img" "$here/vendor/htmx/ext"
cp "$dist/css/uswds.min.css" "$out/css/"
cp "$dist/js/uswds.min.js" "$dist/js/uswds-init.min.js" "$out/js/"
cp "$dist/img/sprite.svg" "$out/img/"
# every font and image the stylesheet points at, at the same relative path
grep -oE 'url\([^)]*\)' "$dist/css/uswds.min.css" | sed -e 's/^url(//' -e 's/)$//' -e 's/"//g' \
  | grep '^\.\./' | sed 's#^\.\./##' | sort -u | while read -r rel; do
    mkdir -p "$out/$(dirname "$rel")"
    cp "$dist/$rel" "$out/$rel"
  done
cp u/package/LICENSE.md "$out/LICENSE.md"
cp h/package/dist/htmx.min.js "$here/vendor/htmx/"
cp h/package/LICENSE "$here/vendor/htmx/LICENSE"
# htmx's websocket extension, for the live pages (assets/js/live.js speaks the protocol over it)
cp w/package/dist/ws.min.js "$here/vendor/htmx/ext/ws.min.js"
cp w/package/LICENSE "$here/vendor/htmx/ext/LICENSE"
printf 'uswds %s\nhtmx %s\nhtmx-ext-ws %s\n' "$USWDS" "$HTMX" "$HTMX_WS" > "$here/vendor/VERSIONS"
du -sh "$here/vendor"
