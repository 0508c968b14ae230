#!/bin/sh
# Re-derives common-passwords.txt.gz and LICENSE-django.txt from Debian's
# python3-django package (run as `task passwords:update`).
#
# Why Debian: its archive is signed and versioned, so the list Onit embeds can
# be traced to an exact upstream release, and apt verifies what it downloads.
# The file is copied byte for byte; the licence is Django's BSD-3-Clause text
# as Debian's copyright file records it, with <NAME> filled in as its Comment
# field instructs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
if ! apt-get download python3-django >/dev/null 2>&1; then
	# A fresh container has no package lists yet.
	apt-get update >/dev/null
	apt-get download python3-django >/dev/null
fi
deb=$(ls python3-django_*.deb)
dpkg-deb -x "$deb" root

list=$(find root -path '*/django/contrib/auth/common-passwords.txt.gz' | head -n 1)
copyright=root/usr/share/doc/python3-django/copyright
[ -n "$list" ] || { echo "common-passwords.txt.gz not found in $deb" >&2; exit 1; }
[ -f "$copyright" ] || { echo "copyright file not found in $deb" >&2; exit 1; }

debversion=$(dpkg-deb -f "$deb" Version)
djversion=$(sed -n 's/^VERSION = (\([0-9]*\), \([0-9]*\), \([0-9]*\).*/\1.\2.\3/p' \
	"$(dirname "$list")/../../__init__.py")

gzip -t "$list"
cp "$list" "$here/common-passwords.txt.gz"

{
	echo "common-passwords.txt.gz is django/contrib/auth/common-passwords.txt.gz from"
	echo "Django $djversion, as packaged by Debian (python3-django $debversion)."
	echo "Regenerate it with adapters/passwordlist/update.sh."
	echo
	# The "Files: *" stanza names Django's copyright holders.
	awk '/^Files: \*$/ { f = 1; next } f && /^Copyright:/ { sub(/^Copyright: */, ""); print "Copyright (c) " $0 "."; exit }' "$copyright"
	echo "All rights reserved."
	echo
	# The standalone "License: BSD-3-Clause" paragraph (one that follows a
	# blank line, unlike the Files stanzas' License fields) is the licence
	# text; Debian indents it by one space and marks blank lines with " .".
	awk '
		prevblank && /^License: BSD-3-Clause$/ { inlic = 1; next }
		{ prevblank = ($0 == "") }
		inlic && /^[^ ]/ { exit }
		inlic && /^ \.$/ { print ""; next }
		inlic { sub(/^ /, ""); gsub(/<NAME>/, "Django"); print }
	' "$copyright" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
} >"$here/LICENSE-django.txt"

echo "updated from python3-django $debversion (Django $djversion)"
