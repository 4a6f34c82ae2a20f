"""redact_uri: no credential in a store URI ever reaches a log line or an error message."""

from __future__ import annotations

import pytest

from storage.uri import redact_uri
from tests.crawling import uninews

# (URI, substrings that must not survive, host that must, or None when the URI is ambiguous)
SECRET_URIS = [
    ("mongodb://alice:s3cret@db.example.org:27017/news", ["s3cret"], "db.example.org:27017"),
    ("mongodb://u:pa/ss@host/db", ["pa/ss", "pa", "ss@"], "host"),
    ("mongodb://u:p@ss@host:27017/db", ["p@ss", "ss@"], "host:27017"),
    ("mongodb://u:pa/ss@w0rd@127.0.0.1:1/db", ["pa/ss", "w0rd"], "127.0.0.1:1"),
    ("mongodb://u:se?cret@host/db", ["se?cret", "cret"], "host"),
    ("mongodb://u:se#cret@host/db", ["se#cret", "cret"], "host"),
    ("mongodb://u:se:cret@host/db", ["se:cret", "cret"], "host"),
    ("mongodb://u:s3cr%t@host/db", ["s3cr"], "host"),
    ("mongodb://:secret@host/db", ["secret"], "host"),
    ("mongodb://user%40corp:secret@host/db", ["secret", "corp"], "host"),  # not simple: hidden
    ("mongodb://u:pa?key=1@host/db", ["pa?key", "pa"], "host"),  # `?key=` inside a password
    ("mongodb://u:pa&token=b@host/db", ["pa&", "token=b"], "host"),
    (
        "mongodb://h1:27017,h2:27018/db?replicaSet=rs0&tlsCertificateKeyFilePassword=hunter2",
        ["hunter2"],
        "h1:27017,h2:27018",
    ),
    ("mongodb://host/db?tls=true&sslClientCertificateKeyPassword=hunter2&w=1", ["hunter2"], "host"),
    (
        "mongodb://host/db?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:xyzzy",
        ["xyzzy"],
        "host",
    ),
    ("mongodb://host/db?appName=x&apiTOKEN=xyzzy;secretSauce=plugh", ["xyzzy", "plugh"], "host"),
    ("mongodb://host:27017/db?tlsCertificateKeyFilePassword=p@ss", ["p@ss"], "host:27017"),
    (
        "mongodb+srv://u:pa/ss@w0rd@cluster0.ab1cd.mongodb.net/db?tlsCertificateKeyFilePassword=hun@ter2",
        ["pa/ss", "w0rd", "hun", "ter2"],
        "cluster0.ab1cd.mongodb.net",
    ),
    (
        "mongodb+srv://:secret@cluster0.ab1cd.mongodb.net/db",
        ["secret"],
        "cluster0.ab1cd.mongodb.net",
    ),
    ("u:secret@host/db", ["secret"], "host"),  # no scheme: still userinfo
    ("mongodb://u:1/x?key=1@host/db", ["1/x", "host/db"], None),  # two readings: hide both
    ("mongodb://u:pa?key=1@ho$t/db", ["pa", "ho$t"], None),
]

PLAIN_URIS = [
    "sqlite:///archive.sqlite3",
    "sqlite:////var/lib/uninews/archive.sqlite3",
    "sqlite:////home/me@corp/archive.sqlite3",  # `@` in a file path is no userinfo
    "mongodb://host:27017/db",
    "mongodb://h1:27017,h2:27018/db?replicaSet=rs0&w=majority",
    "mongodb://[::1]:27017/db?directConnection=true",
    "mongodb+srv://cluster0.ab1cd.mongodb.net/uninews?retryWrites=true",
    "mongomock://localhost/uninews",
    "mongodb://%2Ftmp%2Fmongodb-27017.sock/db",
]


@pytest.mark.parametrize(("uri", "secrets", "host"), SECRET_URIS)
def test_redact_hides_every_secret(uri: str, secrets: list[str], host: str | None) -> None:
    safe = redact_uri(uri)
    for secret in secrets:
        assert secret not in safe, (uri, safe)
    assert "***" in safe
    if host is not None:
        assert host in safe, (uri, safe)


@pytest.mark.parametrize("uri", PLAIN_URIS)
def test_redact_leaves_plain_uris_alone(uri: str) -> None:
    assert redact_uri(uri) == uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("mongodb://alice:s3cret@host:27017/db", "mongodb://alice:***@host:27017/db"),
        ("mongodb://u:p@ss@host/db", "mongodb://u:***@host/db"),
        ("mongodb://:secret@host/db", "mongodb://***@host/db"),
        ("mongodb://user%40corp:pw@host/db", "mongodb://***@host/db"),
        (
            "mongodb://host/db?w=1&tlsCertificateKeyFilePassword=a@b&tls=true",
            "mongodb://host/db?w=1&tlsCertificateKeyFilePassword=***&tls=true",
        ),
    ],
)
def test_redact_shape(uri: str, expected: str) -> None:
    """A simple user name stays readable, and so does everything that is no credential."""
    assert redact_uri(uri) == expected


def test_cli_error_does_not_leak_password() -> None:
    """A password with a raw `/` and `@`, a store that is not there: one error line, no secret."""
    uri = "mongodb://u:pa/ss@w0rd@127.0.0.1:1/db"
    proc = uninews("stats", "--store", uri, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "uninews: error:" in proc.stderr, output  # failed cleanly, not by a crash elsewhere
    for secret in ("pa/ss", "w0rd", "ss@"):
        assert secret not in output, output
