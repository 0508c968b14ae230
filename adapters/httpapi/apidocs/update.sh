#!/bin/sh
# Re-vendors the API docs viewer, Redoc's standalone bundle, from the npm
# registry (run as `go tool task docs:update`; pass a version to move the
# pin: `go tool task docs:update -- 2.5.4`).
#
# Why a script: the bundle is committed and embedded, so the docs page
# works offline and the binary needs nothing at run time; the script makes
# the committed bytes traceable to one published release. npm checks the
# tarball against the registry's sha512 integrity while packing, and the
# script checks it again itself, so a mirror or cache cannot swap it.
#
# Why Redoc 2: the 3.x line (October 2026) bundles client telemetry that
# posts to Redocly's collector, which a strict CSP would refuse on every
# page view; 2.x is maintained alongside it and talks to no one.
set -eu

version=${1:-2.5.4}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

integrity=$(npm view "redoc@$version" dist.integrity)
case "$integrity" in
sha512-*) ;;
*) echo "redoc@$version: no sha512 integrity in the registry metadata ($integrity)" >&2; exit 1 ;;
esac
npm pack --silent "redoc@$version" >/dev/null
tgz=redoc-$version.tgz
[ -f "$tgz" ] || { echo "npm pack did not produce $tgz" >&2; exit 1; }
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
	echo "redoc@$version: tarball is $got, the registry says $integrity" >&2
	exit 1
fi

tar -xzf "$tgz"
bundle=package/bundles/redoc.standalone.js
[ -f "$bundle" ] || { echo "$bundle not found in $tgz" >&2; exit 1; }
# The page loads nothing from other hosts; a bundle that names Google's
# font service or a telemetry collector would need a CSP hole, so it is
# refused here rather than found broken in a browser.
if grep -q -e 'fonts.googleapis' -e 'collectorUrl' "$bundle"; then
	echo "redoc@$version's bundle loads fonts or sends telemetry from other hosts" >&2
	exit 1
fi

# The one exception, patched here: the menu's "API docs by Redocly" link
# shows Redoc's logo from its CDN. The image is pointed at an empty data:
# URL instead, which fails to decode, and Redoc then drops the image and
# keeps the link's text. Without the patch the CSP refuses the image and
# the browser logs a violation on every page view.
logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
[ "$(grep -o -F "$logo" "$bundle" | wc -l)" -eq 1 ] || {
	echo "redoc@$version's bundle does not name $logo exactly once; revisit the logo patch" >&2
	exit 1
}
sed "s|$logo|data:,|" "$bundle" >"$here/redoc.standalone.js"
if grep -q -e 'https://cdn\.' -e 'fonts\.gstatic' "$here/redoc.standalone.js"; then
	echo "redoc@$version's bundle still names a CDN" >&2
	exit 1
fi
{
	echo "redoc.standalone.js is package/bundles/redoc.standalone.js from the npm"
	echo "package redoc@$version ($integrity), its Redocly logo URL replaced"
	echo "by an empty data: URL (see update.sh)."
	echo "Regenerate it with adapters/httpapi/apidocs/update.sh."
	echo
	cat package/LICENSE
	if [ -f "$bundle.LICENSE.txt" ]; then
		echo
		echo "The bundle includes the following packages, under their own licences:"
		echo
		cat "$bundle.LICENSE.txt"
	fi
} >"$here/LICENSE-redoc.txt"
printf '%s\n' "$version" >"$here/VERSION"

echo "vendored redoc@$version ($integrity)"
