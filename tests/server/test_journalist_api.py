"""The JSON API (CONTRACT.md routes): submissions, bundle with Range,
signature, delete, sealed replies, key chain, and the OpenAPI schema."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from crypto.keys import generate_identity
from crypto.reply import seal_reply
from server.db.engine import make_engine, session_scope
from server.db.tables import Reply, Submission
from server.storage import Store
from tests.server.journalist_fixtures import api_token, client_for, make_instance


@pytest.fixture
def api(tmp_path):
    inst = make_instance(tmp_path, max_reply_bytes="4096")
    alice = inst.enrol("alice")
    client = client_for(inst)
    client.headers["Authorization"] = f"Bearer {api_token(client, inst, alice)}"
    return inst, client


def _sealed(data: bytes) -> bytes:
    return seal_reply(data, [generate_identity().recipient()])


def test_list_submissions_fields(api):
    inst, client = api
    source_id = inst.add_source("amber falcon")
    sid, _, _ = inst.add_submission(source_id, size=1234)
    unsigned, _, _ = inst.add_submission(source_id, signed=False)
    r = client.get("/api/v1/submissions")
    assert r.status_code == 200
    items = {i["id"]: i for i in r.json()["submissions"]}
    assert set(items) == {sid, unsigned}
    item = items[sid]
    assert item["source_id"] == source_id
    assert item["designation"] == "amber falcon"
    assert item["size"] == 1234
    assert item["day"] == "2026-01-03"
    assert item["signature_present"] is True
    assert items[unsigned]["signature_present"] is False


def test_bundle_download_supports_range_for_resume(api):
    inst, client = api
    source_id = inst.add_source()
    sid, data, sig = inst.add_submission(source_id, size=100_000)
    full = client.get(f"/api/v1/submissions/{sid}/bundle")
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    part = client.get(f"/api/v1/submissions/{sid}/bundle", headers={"Range": "bytes=40000-"})
    assert part.status_code == 206
    assert part.content == data[40000:]
    assert part.headers["content-range"] == f"bytes 40000-99999/{len(data)}"
    assert client.get(f"/api/v1/submissions/{sid}/signature").text == sig
    assert client.get(f"/api/v1/submissions/{uuid.uuid4()}/bundle").status_code == 404
    assert client.get("/api/v1/submissions/not-an-id/bundle").status_code == 422


def test_delete_is_real_and_reflected_in_the_list(api):
    inst, client = api
    store = Store(inst.settings.paths)
    source_id = inst.add_source()
    sid, _, _ = inst.add_submission(source_id)
    r = client.delete(f"/api/v1/submissions/{sid}")
    assert r.status_code == 200 and r.json() == {"deleted": sid}
    assert not store.bundle_path(sid).exists()
    assert not store.signature_path(sid).exists()
    with session_scope(make_engine(inst.settings.paths.db)) as s:
        assert s.exec(select(Submission)).all() == []
    assert client.get("/api/v1/submissions").json()["submissions"] == []
    assert client.delete(f"/api/v1/submissions/{sid}").status_code == 404


def test_reply_upload_validates_and_stores(api):
    inst, client = api
    store = Store(inst.settings.paths)
    source_id = inst.add_source()
    sealed = _sealed(b"we got it, thank you")
    url = f"/api/v1/sources/{source_id}/replies"
    headers = {"Content-Type": "application/octet-stream"}
    r = client.post(url, content=sealed, headers=headers)
    assert r.status_code == 201, r.text
    reply_id = r.json()["id"]
    assert store.reply_path(reply_id).read_bytes() == sealed
    with session_scope(make_engine(inst.settings.paths.db)) as s:
        (row,) = s.exec(select(Reply)).all()
    assert row.source_id == source_id and row.size == len(sealed)

    assert client.post(url, content=b"hello", headers=headers).status_code == 422
    assert client.post(url, content=b"", headers=headers).status_code == 422
    # Truncated header: not well-formed.
    assert client.post(url, content=sealed[:40], headers=headers).status_code == 422
    too_big = _sealed(b"x" * 5000)
    assert client.post(url, content=too_big, headers=headers).status_code == 413

    def chunked():
        yield too_big[:3000]
        yield too_big[3000:]

    assert client.post(url, content=chunked(), headers=headers).status_code == 413
    missing = f"/api/v1/sources/{uuid.uuid4()}/replies"
    assert client.post(missing, content=sealed, headers=headers).status_code == 404
    with session_scope(make_engine(inst.settings.paths.db)) as s:
        assert len(s.exec(select(Reply)).all()) == 1
    assert store.reply_ids() == {reply_id}


def test_server_keys_is_the_chain(api):
    inst, client = api
    r = client.get("/api/v1/server-keys")
    assert r.status_code == 200
    assert r.content == inst.settings.paths.server_keys_json.read_bytes()
    assert r.json()["format"] == "samizdat-server-keys-v1"


def test_openapi_schema_without_cdn_docs(api):
    _, client = api
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    paths = set(schema.json()["paths"])
    assert paths == {
        "/api/v1/token",
        "/api/v1/submissions",
        "/api/v1/submissions/{submission_id}/bundle",
        "/api/v1/submissions/{submission_id}/signature",
        "/api/v1/submissions/{submission_id}",
        "/api/v1/sources/{source_id}/replies",
        "/api/v1/server-keys",
    }
    for docs in ("/docs", "/redoc"):
        assert client.get(docs).status_code == 404
