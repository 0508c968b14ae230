#!/usr/bin/python3
"""Writes django_vectors.json: password hashes made by Django's own hashers.

Run once with Debian's python3-django (3.2), python3-bcrypt and
python3-argon2 installed:

    apt-get install python3-django python3-bcrypt python3-argon2
    /usr/bin/python3 make_vectors.py > django_vectors.json

The tests read the JSON and need none of this. Each vector records what
Django's check_password answered for the right password and for a wrong one,
so the Go tests compare against Django's verdict, not against this script.
Salts are fixed so re-running gives the same file (argon2 and bcrypt are
deterministic for a given salt).
"""
import json

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="vectors",
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
        "django.contrib.auth.hashers.SHA1PasswordHasher",
    ],
)
django.setup()

import argon2  # noqa: E402
import bcrypt  # noqa: E402
from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    BCryptPasswordHasher,
    BCryptSHA256PasswordHasher,
    check_password,
    make_password,
)

vectors = []


def add(name, password, encoded, wrong):
    vectors.append(
        {
            "name": name,
            "password": password,
            "wrong": wrong,
            "encoded": encoded,
            "django_accepts": check_password(password, encoded),
            "django_accepts_wrong": check_password(wrong, encoded),
        }
    )


class BCryptSHA256Cost5(BCryptSHA256PasswordHasher):
    rounds = 5


class BCryptCost5(BCryptPasswordHasher):
    rounds = 5


# bcrypt salts: bcrypt.gensalt's format with a fixed 22-character salt.
def bsalt(cost, tail):
    return ("$2b$%02d$" % cost + tail).encode()


add("bcrypt_sha256 at Django's 12 rounds", "lètmein",
    BCryptSHA256PasswordHasher().encode("lètmein", bsalt(12, "Ro0CUfOqk6cXEKf3dyaM7O")), "letmein")
add("bcrypt_sha256 with a 100-byte password", "p" * 100,
    BCryptSHA256Cost5().encode("p" * 100, bsalt(5, "abcdefghijklmnopqrstuu")), "p" * 99)
add("bcrypt_sha256 with $2a$", "secret",
    "bcrypt_sha256$" + BCryptSHA256Cost5().encode("secret", b"$2a$05$abcdefghijklmnopqrstuu").split("$", 1)[1], "Secret")
add("bcrypt at 5 rounds", "lètmein",
    BCryptCost5().encode("lètmein", bsalt(5, "ZYXWVUTSRQPONMLKJIHGFe")), "lètmein ")
# Plain bcrypt reads only the first 72 bytes: Django accepts any password
# sharing them, which the "wrong" one here does.
add("bcrypt truncates at 72 bytes", "x" * 72 + "tail",
    BCryptCost5().encode("x" * 72 + "tail", bsalt(5, "0123456789abcdefghijku")), "x" * 72 + "other")
add("bcrypt with $2y$", "secret",
    "bcrypt$" + bcrypt.hashpw(b"secret", b"$2y$05$abcdefghijklmnopqrstuu").decode(), "secreT")


def argon(password, salt, version, typ, t=1, m=8, p=1, hash_len=16):
    raw = argon2.low_level.hash_secret(
        password.encode(), salt.encode(), time_cost=t, memory_cost=m,
        parallelism=p, hash_len=hash_len, type=typ, version=version)
    return "argon2" + raw.decode()


T = argon2.low_level.Type
add("argon2id v19 with Django's defaults", "lètmein",
    make_password("lètmein", "Y041dExhNkljRUUy", "argon2"), "letmein")
add("argon2i v19", "secret", argon("secret", "saltsalt", 19, T.I, t=3, m=64, p=2), "secret!")
add("argon2id v16", "lètmein", argon("lètmein", "seasaltseasalt", 16, T.ID, t=2, m=256, p=4, hash_len=32), "lètmeiN")
add("argon2i v16", "secret", argon("secret", "somesalt", 16, T.I, t=3, m=32, p=1), "secre")
add("argon2i v16, one pass", "secret", argon("secret", "somesalt", 16, T.I, t=1, m=16, p=2), "")
add("argon2d v19", "secret", argon("secret", "somesalt", 19, T.D, t=2, m=64, p=2), "secrets")
add("argon2d v16", "secret", argon("secret", "somesalt", 16, T.D, t=2, m=64, p=1), "Secret")
# Before argon2 1.3 the encoding had no v= field; decoders read its absence
# as version 16. Django's own test suite keeps one such hash.
pre = argon("secret", "somesalt", 16, T.I, t=2, m=32, p=1, hash_len=64).replace("$v=16", "")
add("argon2i without a version field", "secret", pre, "secret ")
add("argon2 from Django's test suite, without a version field", "secret",
    "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg",
    "wrong")
add("argon2 from Django's test suite, v19", "secret",
    "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", "wrong")

# Formats Onit cannot verify, so the importer reports them.
add("md5", "secret", make_password("secret", "seasalt", "md5"), "wrong")
add("unsalted_md5", "secret", make_password("secret", "", "unsalted_md5"), "wrong")
add("sha1", "secret", make_password("secret", "seasalt", "sha1"), "wrong")

print(json.dumps({"django": django.get_version(), "bcrypt": bcrypt.__version__,
                  "argon2_cffi": argon2.__version__, "vectors": vectors},
                 indent=1, ensure_ascii=False))
