"""The journalist's HTML pages: sources by designation, submissions, download,
star, delete (real deletion), reply upload; no JavaScript, CSRF everywhere."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlmodel import select

from crypto.keys import generate_identity
from crypto.reply import seal_reply
from server.db.engine import make_engine, session_scope
from server.db.tables import Reply, Source, Submission
from server.storage import Store
from tests.server.journalist_fixtures import client_for, make_instance, sign_in


@pytest.fixture
def signed_in(tmp_path):
    inst = make_instance(tmp_path)
    alice = inst.enrol("alice")
    client = client_for(inst)
    csrf = sign_in(client, inst, alice)
    return inst, client, csrf


def _rows(inst, table):
    with session_scope(make_engine(inst.settings.paths.db)) as s:
        return list(s.exec(select(table)).all())


def test_pages_load_nothing_external_and_need_no_javascript(signed_in):
    inst, client, _ = signed_in
    source_id = inst.add_source()
    inst.add_submission(source_id)
    for path in ("/", f"/sources/{source_id}", "/account", "/static/journalist.css"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "<script" not in r.text
        assert not re.search(r'(src|href)="(https?:)?//', r.text), path
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
    # Every state-changing form carries the CSRF token.
    page = client.get(f"/sources/{source_id}").text
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", page, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)


def test_sources_listed_by_designation_with_submissions(signed_in):
    inst, client, _ = signed_in
    source_id = inst.add_source("amber falcon")
    sid, _, _ = inst.add_submission(source_id, size=5000, cleaned=False)
    sid2, _, _ = inst.add_submission(source_id, size=2048, cleaned=True, signed=False)
    home = client.get("/").text
    assert "amber falcon" in home
    page = client.get(f"/sources/{source_id}").text
    assert sid in page and sid2 in page
    assert "not cleaned" in page and "cleaned" in page
    assert "4.9 KiB" in page and "2.0 KiB" in page
    assert "2026-01-03" in page
    assert "no signature" in page


def test_download_bundle_and_signature(signed_in):
    inst, client, _ = signed_in
    source_id = inst.add_source()
    sid, data, sig = inst.add_submission(source_id)
    r = client.get(f"/submissions/{sid}/bundle")
    assert r.status_code == 200 and r.content == data
    assert f"{sid}.age" in r.headers["content-disposition"]
    s = client.get(f"/submissions/{sid}/signature")
    assert s.status_code == 200 and s.text == sig
    assert [sub.downloaded for sub in _rows(inst, Submission)] == [True]
    assert client.get(f"/submissions/{uuid.uuid4()}/bundle").status_code == 404
    assert client.get("/submissions/..%2F..%2Fkeys/bundle").status_code == 404


def test_star_and_unstar(signed_in):
    inst, client, csrf = signed_in
    source_id = inst.add_source()
    r = client.post(f"/sources/{source_id}/star", data={"csrf_token": csrf, "starred": "1"})
    assert r.status_code == 303
    assert _rows(inst, Source)[0].starred is True
    client.post(f"/sources/{source_id}/star", data={"csrf_token": csrf, "starred": "0"})
    assert _rows(inst, Source)[0].starred is False
    assert client.post(f"/sources/{source_id}/star", data={"starred": "1"}).status_code == 403


def test_delete_submission_removes_file_and_row(signed_in):
    inst, client, csrf = signed_in
    store = Store(inst.settings.paths)
    source_id = inst.add_source()
    sid, _, _ = inst.add_submission(source_id)
    keep, _, _ = inst.add_submission(source_id)
    r = client.post(f"/submissions/{sid}/delete", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert not store.bundle_path(sid).exists() and not store.signature_path(sid).exists()
    assert [s.id for s in _rows(inst, Submission)] == [keep]
    assert client.post(f"/submissions/{sid}/delete", data={"csrf_token": csrf}).status_code == 404


def test_delete_source_removes_everything(signed_in):
    inst, client, csrf = signed_in
    store = Store(inst.settings.paths)
    source_id = inst.add_source()
    other = inst.add_source("other bird")
    subs = [inst.add_submission(source_id)[0] for _ in range(2)]
    kept = inst.add_submission(other)[0]
    reply = seal_reply(b"hello", [generate_identity().recipient()])
    assert (
        client.post(
            f"/sources/{source_id}/replies",
            data={"csrf_token": csrf},
            files={"reply": ("reply.age", reply, "application/octet-stream")},
        ).status_code
        == 303
    )
    (reply_row,) = _rows(inst, Reply)
    unconfirmed = client.post(f"/sources/{source_id}/delete", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 400
    r = client.post(f"/sources/{source_id}/delete", data={"csrf_token": csrf, "confirm": "yes"})
    assert r.status_code == 200
    assert [s.id for s in _rows(inst, Source)] == [other]
    assert [s.id for s in _rows(inst, Submission)] == [kept]
    assert _rows(inst, Reply) == []
    for sid in subs:
        assert not store.bundle_path(sid).exists()
    assert not store.reply_path(reply_row.id).exists()
    assert store.bundle_path(kept).exists()


def test_reply_upload_through_the_page(signed_in):
    inst, client, csrf = signed_in
    store = Store(inst.settings.paths)
    source_id = inst.add_source()
    sealed = seal_reply(b"thank you", [generate_identity().recipient()])
    r = client.post(
        f"/sources/{source_id}/replies",
        data={"csrf_token": csrf},
        files={"reply": ("reply.age", sealed, "application/octet-stream")},
    )
    assert r.status_code == 303
    (row,) = _rows(inst, Reply)
    assert store.reply_path(row.id).read_bytes() == sealed
    assert row.source_id == source_id and row.size == len(sealed)
    garbage = client.post(
        f"/sources/{source_id}/replies",
        data={"csrf_token": csrf},
        files={"reply": ("reply.txt", b"plain text, not sealed", "text/plain")},
    )
    assert garbage.status_code == 422
    assert "not a sealed reply" in garbage.text
    assert len(_rows(inst, Reply)) == 1


def test_reply_upload_needs_csrf_and_is_parsed_in_memory(signed_in, monkeypatch):
    inst, client, _csrf = signed_in
    source_id = inst.add_source()
    sealed = seal_reply(b"thank you", [generate_identity().recipient()])
    no_csrf = client.post(
        f"/sources/{source_id}/replies",
        files={"reply": ("reply.age", sealed, "application/octet-stream")},
    )
    assert no_csrf.status_code == 403
    assert _rows(inst, Reply) == []
    # The page must never fall back on Starlette's spooling form parser.
    import starlette.requests

    def _no_form(*_a, **_k):
        raise AssertionError("request.form() used for an upload")

    monkeypatch.setattr(starlette.requests.Request, "form", _no_form)
    r = client.post(
        f"/sources/{source_id}/replies",
        data={"csrf_token": _csrf},
        files={"reply": ("reply.age", sealed, "application/octet-stream")},
    )
    assert r.status_code == 303
