"""The ingest pipeline through the real source app: what lands in a bundle,
what the source is told, and that refused submissions leave nothing."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.source.app import create_source_app
from tests.server.conftest import Instance
from tests.server.source_helpers import SourceClient, gps_jpeg, open_all


@pytest.fixture
def client(instance: Instance) -> Iterator[SourceClient]:
    app = create_source_app(
        instance.settings(
            max_files=3,
            max_file_bytes=300_000,
            max_submission_bytes=600_000,
            max_message_chars=500,
            submissions_per_hour=4,
            scrub_in_memory_cap=200_000,
        ),
        login_floor_seconds=0.0,
    )
    with TestClient(app) as c:
        yield SourceClient(c)


def _rows(instance: Instance, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(instance.paths.db) as db:
        return db.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - fixed names


def _nothing_kept(instance: Instance) -> None:
    assert list(instance.paths.bundles.iterdir()) == []
    assert list(instance.paths.store_tmp.iterdir()) == []
    assert _rows(instance, "submission") == []


def test_files_and_message_are_sealed_and_reported(
    instance: Instance, client: SourceClient, tmp_path: Path
) -> None:
    client.new_source()
    marker = secrets.token_hex(8)
    photo = gps_jpeg(marker)
    blob = secrets.token_bytes(150_000)  # unknown type: sealed as it is
    r = client.submit([("photo.jpg", photo), ("data.bin", blob)], f"hello {marker}")
    assert r.status_code == 200
    assert "photo.jpg" in r.text and "data.bin" in r.text
    assert "cleaned" in r.text and "NOT cleaned" in r.text
    assert "GPS" in r.text  # the scrub summary names what was removed
    (opened,) = open_all(instance, tmp_path / "out")
    assert opened.message == f"hello {marker}"
    by_name = {f.name: f for f in opened.files}
    assert by_name["data.bin"].path.read_bytes() == blob
    assert by_name["data.bin"].scrub["outcome"] == "not_cleaned"
    cleaned = by_name["photo.jpg"].path.read_bytes()
    assert marker.encode() not in cleaned
    assert by_name["photo.jpg"].scrub["outcome"] == "cleaned"
    assert opened.manifest["extra"]["keep_metadata"] is False
    (row,) = _rows(instance, "submission")
    assert row[4] == 0  # cleaned: not every file was cleaned
    # Bundle times reveal nothing about arrival.
    for p in instance.paths.bundles.iterdir():
        assert p.stat().st_mtime == 946_684_800


def test_keep_metadata_seals_the_original(
    instance: Instance, client: SourceClient, tmp_path: Path
) -> None:
    client.new_source()
    photo = gps_jpeg("keepme")
    r = client.submit([("p.jpg", photo)], keep_metadata=True)
    assert r.status_code == 200 and "original metadata" in r.text
    (opened,) = open_all(instance, tmp_path / "out")
    assert opened.files[0].path.read_bytes() == photo
    assert opened.manifest["extra"]["keep_metadata"] is True


def test_a_rejected_file_does_not_stop_the_others(
    instance: Instance, client: SourceClient, tmp_path: Path
) -> None:
    client.new_source()
    broken = b"\xff\xd8\xff\xe1\xff\xff" + b"\x00" * 50  # JPEG head, garbage after
    r = client.submit([("broken.jpg", broken), ("note.txt", b"plain words\n")])
    assert r.status_code == 200
    assert "broken.jpg" in r.text and "note.txt" in r.text
    (opened,) = open_all(instance, tmp_path / "out")
    names = [f.name for f in opened.files]
    assert "note.txt" in names


def test_a_very_long_file_name_is_shortened_and_does_not_stop_the_others(
    instance: Instance, client: SourceClient, tmp_path: Path
) -> None:
    client.new_source()
    long_name = "снимок-" * 400 + ".txt"  # ~5.6 KiB of UTF-8, over the 1 KiB name cap
    r = client.submit([(long_name, b"first file\n"), ("second.txt", b"second file\n")])
    assert r.status_code == 200
    (opened,) = open_all(instance, tmp_path / "out")
    contents = sorted(f.path.read_bytes() for f in opened.files)
    assert contents == [b"first file\n", b"second file\n"]
    shortened = [f.name for f in opened.files if f.name != "second.txt"]
    assert len(shortened) == 1 and len(shortened[0].encode()) <= 1024
    assert shortened[0].startswith("снимок-")


def test_file_over_the_in_memory_cap_is_sealed_not_cleaned(
    instance: Instance, client: SourceClient, tmp_path: Path
) -> None:
    client.new_source()
    big = gps_jpeg("bigfile") + secrets.token_bytes(250_000)
    r = client.submit([("big.jpg", big)])
    assert r.status_code == 200 and "NOT cleaned" in r.text
    (opened,) = open_all(instance, tmp_path / "out")
    assert opened.files[0].path.read_bytes() == big
    assert "limit for cleaning" in opened.files[0].scrub["reason"]


@pytest.mark.parametrize(
    ("files", "message", "code"),
    [
        ([("a.bin", b"x" * 300_001)], "", "larger than this server accepts"),
        ([("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")], "", "too many files"),
        ([], "y" * 501, "message is too long"),
        (
            [("a.bin", b"x" * 290_000), ("b.bin", b"x" * 290_000), ("c.bin", b"x" * 30_000)],
            "",
            "larger than this server accepts",
        ),
    ],
)
def test_limits_refuse_and_keep_nothing(
    instance: Instance,
    client: SourceClient,
    files: list[tuple[str, bytes]],
    message: str,
    code: str,
) -> None:
    client.new_source()
    r = client.submit(files, message)
    assert r.status_code == 413
    assert code in r.text
    _nothing_kept(instance)


def test_csrf_honeypot_and_empty_are_refused(instance: Instance, client: SourceClient) -> None:
    client.new_source()
    r = client.submit([("a.txt", b"hi\n")], token="forged")
    assert r.status_code == 403
    r = client.submit([("a.txt", b"hi\n")], extra={"website": "http://spam"})
    assert r.status_code == 400 and "automated" in r.text
    r = client.submit([], "   ")
    assert r.status_code == 400 and "nothing to send" in r.text
    _nothing_kept(instance)


def test_hourly_cap_per_session(instance: Instance, client: SourceClient) -> None:
    client.new_source()
    for i in range(4):
        assert client.submit([], f"message {i}").status_code == 200
    r = client.submit([], "one too many")
    assert r.status_code == 429 and "wait an hour" in r.text
    assert len(_rows(instance, "submission")) == 4


def test_submit_requires_sign_in(instance: Instance, client: SourceClient) -> None:
    client.home()
    r = client.c.post(
        "/submit",
        data={"csrf_token": client.token, "message": "x"},
        files=[("files", ("a", b"1", "application/octet-stream"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    _nothing_kept(instance)


def test_db_row_holds_no_plaintext_or_time(instance: Instance, client: SourceClient) -> None:
    client.new_source()
    client.submit([("secret-name.txt", b"words\n")], "msg")
    (row,) = _rows(instance, "submission")
    text = json.dumps(row)
    assert "secret-name" not in text and "msg" not in text and "T" not in str(row[3])
