#!/usr/bin/python3
"""Writes django_vectors.json: session data and session auth hashes made by
Django itself.

Run once with Debian's python3-django (3.2) installed:

    apt-get install python3-django
    /usr/bin/python3 make_vectors.py > django_vectors.json

The tests read the JSON and need none of this. Django 3.2 signs sessions the
way 5.1 does (TimestampSigner, HMAC-SHA256, optional zlib, salt
"django.contrib.sessions.SessionStore"); the timestamps in the signatures
are those of the day the file was made.
"""
import json

import django
from django.conf import settings

SECRET = "django-insecure-onitweb-vectors-0123456789abcdefghijklmnopqrstuvwxyz"
OLD_SECRET = "an-older-key-that-SECRET_KEY_FALLBACKS-still-lists-0123456789"

settings.configure(
    SECRET_KEY=SECRET,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={},
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core import signing  # noqa: E402


def encode(session, secret=SECRET):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = secret
    try:
        return SessionStore().encode(session)
    finally:
        settings.SECRET_KEY = old


def decode(data):
    return SessionStore().decode(data)


sessions = []


def add(name, data, user_id="", auth_hash="", keys=(SECRET,), error=""):
    sessions.append({"name": name, "data": data, "keys": list(keys), "user_id": user_id,
                     "auth_hash": auth_hash, "error": error,
                     "django_decodes_to": decode(data) if keys == (SECRET,) else None})


pw = "pbkdf2_sha256$260000$seasalt$0lVP8i81Z8oMD0lRRAsdKLHaBYC/vLUUyx5ESYwSsAY="
user = User(id=42, password=pw)
h = user.get_session_auth_hash()
login = {"_auth_user_id": "42", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
         "_auth_user_hash": h}

# A login compresses (SessionStore.encode asks for zlib when it saves
# space), so the uncompressed login is signed directly with signing.dumps,
# which Django's decode reads all the same.
small = signing.dumps(login, salt="django.contrib.sessions.SessionStore", compress=False)
assert not small.startswith(".")
add("logged in, not compressed", small, "42", h)

compressed = encode(dict(login, cart=["the same item"] * 200))
assert compressed.startswith(".")
add("logged in, compressed", compressed, "42", h)

anonymous = encode({"django_language": "fr"})
assert not anonymous.startswith(".")
add("anonymous session", anonymous)
add("non-ASCII values", encode(dict(login, note="Zoë ñandú 😀")), "42", h)
add("signed with a fallback key", encode(login, OLD_SECRET), "42", h, keys=(SECRET, OLD_SECRET))
add("signed with an unknown key", encode(login, OLD_SECRET), error="bad_signature")
tampered = small[:10] + ("A" if small[10] != "A" else "B") + small[11:]
add("tampered payload", tampered, error="bad_signature")
sig_cut = small.rsplit(":", 1)[0] + ":"
add("empty signature", sig_cut, error="bad_signature")
add("no separator", "bm90aGluZw", error="bad_signature")
add("pre-3.1 legacy format", "MmI3NGE1OTZhNTI4MzdkYTA1OTNhMDVjZmQyMjVhYjkzNTRlNDFkNzp7fQ==",
    error="bad_signature")

# Session auth hashes: Django's salted_hmac of the encoded password.
hashes = []
for password in [pw, "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$YWJjZGVmZ2hpamtsbW5vcA",
                 "!unusablepasswordXYZ", ""]:
    for secret in (SECRET, OLD_SECRET):
        old = settings.SECRET_KEY
        settings.SECRET_KEY = secret
        try:
            hashes.append({"secret": secret, "password": password,
                           "auth_hash": User(password=password).get_session_auth_hash()})
        finally:
            settings.SECRET_KEY = old

print(json.dumps({"django": django.get_version(), "secret": SECRET, "old_secret": OLD_SECRET,
                  "sessions": sessions, "auth_hashes": hashes}, indent=1, ensure_ascii=False))
