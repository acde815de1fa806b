"""`samizdat journalist trust | fetch | upload-reply` against a live
journalist app: pinning, fetching and verifying, skipping, resuming with
Range, quarantine, key rotation, errors with hints."""

from __future__ import annotations

import json
import os
import pty
import select as io_select
import sys
import time
import uuid

import httpx
import pytest
from sqlmodel import select

from crypto.keys import generate_identity
from crypto.reply import seal_reply
from crypto.signing import SigningKey
from server.admin.context import AdminContext
from server.admin.signing import rotate_signing_key
from server.db.engine import make_engine, session_scope
from server.db.tables import Reply
from server.storage import Store
from tests.client.online_fixtures import (
    credentials,
    live_server,
    samizdat,
    sign_stored_bundle,
)
from tests.server.journalist_fixtures import make_instance


@pytest.fixture
def world(tmp_path):
    inst = make_instance(tmp_path)
    alice = inst.enrol("alice")
    pub = tmp_path / "server.pub"
    pub.write_text(SigningKey.load(inst.settings.paths.signing_key).public_key().minisign_text())
    client_dir = tmp_path / "client"
    with live_server(inst) as url:
        yield inst, alice, url, pub, client_dir, tmp_path


def _bundle(inst, source_id, size=50_000):
    sid, data, _ = inst.add_submission(source_id, size=size)
    sign_stored_bundle(inst, sid)
    return sid, data


def test_trust_pins_and_refuses_silent_replacement(world):
    _, _, _, pub, client_dir, tmp = world
    r = samizdat("journalist", "trust", "--server-key", pub, client_dir=client_dir)
    assert r.code == 0, r.err
    assert (client_dir / "server-key.pub").read_text() == pub.read_text()
    other = tmp / "other.pub"
    other.write_text(SigningKey.generate().public_key().minisign_text())
    refused = samizdat("journalist", "trust", "--server-key", other, client_dir=client_dir)
    assert refused.code != 0
    assert "already pinned" in refused.err and "hint:" in refused.err
    replaced = samizdat(
        "journalist", "trust", "--server-key", other, "--replace", client_dir=client_dir
    )
    assert replaced.code == 0 and "replaced" in replaced.out
    garbage = tmp / "garbage.pub"
    garbage.write_text("AGE-SECRET-KEY-1NOTAKEY\n")
    bad = samizdat("journalist", "trust", "--server-key", garbage, client_dir=client_dir)
    assert bad.code != 0 and "error:" in bad.err


def test_fetch_verifies_skips_and_quarantines(world):
    inst, alice, url, pub, client_dir, tmp = world
    samizdat("journalist", "trust", "--server-key", pub, client_dir=client_dir)
    source_id = inst.add_source()
    good, good_data = _bundle(inst, source_id)
    out = tmp / "out"
    args = ["journalist", "fetch", "--server", url, "--out", out]
    r = samizdat(*args, *credentials(inst, alice, tmp), client_dir=client_dir)
    assert r.code == 0, r.err
    assert (out / f"{good}.age").read_bytes() == good_data
    assert (out / f"{good}.age.minisig").is_file()
    chain = json.loads((out / "server-keys.json").read_text())
    assert chain["format"] == "samizdat-server-keys-v1"
    assert "1 fetched, 0 skipped, 0 failed" in r.out

    # A bundle altered on the server after signing: quarantined, not deleted,
    # and never under a `.age` name in DIR.
    bad, _ = _bundle(inst, source_id)
    store = Store(inst.settings.paths)
    tampered = bytearray(store.bundle_path(bad).read_bytes())
    tampered[100] ^= 1
    store.bundle_path(bad).write_bytes(bytes(tampered))
    again = _bundle(inst, source_id)[0]
    r = samizdat(*args, *credentials(inst, alice, tmp), client_dir=client_dir)
    assert r.code == 1
    assert "1 fetched, 1 skipped, 1 failed" in r.out
    assert "signature does not verify" in r.err and "hint:" in r.err
    assert not (out / f"{bad}.age").exists()
    assert not list(out.glob(f"{bad}*"))
    q = out / "quarantine"
    assert (q / f"{bad}.age.unverified").read_bytes() == bytes(tampered)
    assert "does not verify" in (q / f"{bad}.why.txt").read_text()
    assert (out / f"{again}.age").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_fetch_resumes_a_partial_download_with_range(world):
    inst, alice, url, pub, client_dir, tmp = world
    source_id = inst.add_source()
    sid, data = _bundle(inst, source_id, size=300_000)
    sid2, data2 = _bundle(inst, source_id, size=300_000)
    out = tmp / "out"
    out.mkdir()
    # A correct prefix completes and verifies...
    (out / f"{sid}.age.part").write_bytes(data[:123_456])
    # ...and a wrong prefix is kept and appended to (proof the client resumed
    # instead of starting over), so verification fails and it is quarantined.
    (out / f"{sid2}.age.part").write_bytes(b"\0" * 1000)
    r = samizdat(
        "journalist", "fetch", "--server", url, "--server-key", pub, "--out", out,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert r.code == 1
    assert (out / f"{sid}.age").read_bytes() == data
    unverified = (out / "quarantine" / f"{sid2}.age.unverified").read_bytes()
    assert unverified == b"\0" * 1000 + data2[1000:]


def test_fetch_follows_a_signed_key_rotation_and_moves_the_pin(world):
    inst, alice, url, pub, client_dir, tmp = world
    samizdat("journalist", "trust", "--server-key", pub, client_dir=client_dir)
    old_pin = (client_dir / "server-key.pub").read_text()
    admin = AdminContext(
        paths=inst.settings.paths,
        engine=make_engine(inst.settings.paths.db),
        actor="test",
        clock=inst.clock,
    )
    rotation = rotate_signing_key(admin)
    source_id = inst.add_source()
    sid, _ = _bundle(inst, source_id)  # signed with the new key
    out = tmp / "out"
    r = samizdat(
        "journalist", "fetch", "--server", url, "--out", out,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert (out / f"{sid}.age").is_file()
    new_pin = (client_dir / "server-key.pub").read_text()
    assert new_pin != old_pin and rotation.new_key_id in new_pin


def test_fetch_refuses_a_chain_that_does_not_follow_from_the_pin(world):
    inst, alice, url, _, client_dir, tmp = world
    stranger = tmp / "stranger.pub"
    stranger.write_text(SigningKey.generate().public_key().minisign_text())
    inst.add_submission(inst.add_source())
    out = tmp / "out"
    r = samizdat(
        "journalist", "fetch", "--server", url, "--server-key", stranger, "--out", out,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert r.code == 1
    assert "does not follow from the pinned key" in r.err and "hint:" in r.err
    assert not list(out.glob("*.age"))


def test_errors_have_hints(world):
    inst, alice, url, pub, client_dir, tmp = world
    out = tmp / "out"
    base = ["journalist", "fetch", "--server-key", pub, "--out", out]
    onion = samizdat(
        *base, "--server", "http://" + "a" * 56 + ".onion", "--user", "alice",
        client_dir=client_dir,
    )  # fmt: skip
    assert onion.code == 2 and "needs Tor" in onion.err and "--proxy socks5h://" in onion.err
    no_tty = samizdat(*base, "--server", url, "--user", "alice", client_dir=client_dir)
    assert no_tty.code == 2 and "--password-file" in no_tty.err
    wrong = tmp / "wrong.pw"
    wrong.write_text("not it\n")
    refused = samizdat(
        *base, "--server", url, "--user", "alice", "--password-file", wrong,
        "--otp", inst.next_code(alice), client_dir=client_dir,
    )  # fmt: skip
    assert refused.code == 1 and "Sign-in failed" in refused.err and "hint:" in refused.err
    assert "not it" not in refused.err
    dead = samizdat(
        *base, "--server", "http://127.0.0.1:9", *credentials(inst, alice, tmp),
        client_dir=client_dir,
    )  # fmt: skip
    assert dead.code == 1 and "cannot reach the server directly" in dead.err
    via_proxy = samizdat(
        *base, "--server", url, "--proxy", "socks5h://127.0.0.1:9",
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert via_proxy.code == 1 and "proxy" in via_proxy.err and "Tor" in via_proxy.err


def test_upload_reply(world):
    inst, alice, url, _, client_dir, tmp = world
    source_id = inst.add_source()
    reply = tmp / "reply.age"
    reply.write_bytes(seal_reply(b"thanks", [generate_identity().recipient()]))
    r = samizdat(
        "journalist", "upload-reply", reply, "--server", url, "--source", source_id,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert r.code == 0, r.err
    with session_scope(make_engine(inst.settings.paths.db)) as s:
        (row,) = s.exec(select(Reply)).all()
    assert Store(inst.settings.paths).reply_path(row.id).read_bytes() == reply.read_bytes()
    unknown = samizdat(
        "journalist", "upload-reply", reply, "--server", url, "--source", str(uuid.uuid4()),
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert unknown.code == 1 and "no source with id" in unknown.err
    plain = tmp / "plain.txt"
    plain.write_text("not sealed")
    rejected = samizdat(
        "journalist", "upload-reply", plain, "--server", url, "--source", source_id,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert rejected.code == 1 and "not a sealed reply" in rejected.err


def test_a_deleted_submission_is_gone_for_fetch(world):
    inst, alice, url, pub, client_dir, tmp = world
    source_id = inst.add_source()
    gone, _ = _bundle(inst, source_id)
    kept, kept_data = _bundle(inst, source_id)
    with httpx.Client(base_url=url, trust_env=False) as api:
        token = api.post(
            "/api/v1/token",
            json={"username": "alice", "password": alice.password, "otp": inst.next_code(alice)},
        ).json()["token"]
        r = api.delete(f"/api/v1/submissions/{gone}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
    assert not Store(inst.settings.paths).bundle_path(gone).exists()
    out = tmp / "out"
    r = samizdat(
        "journalist", "fetch", "--server", url, "--server-key", pub, "--out", out,
        *credentials(inst, alice, tmp), client_dir=client_dir,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "1 fetched, 0 skipped, 0 failed" in r.out
    assert sorted(p.name for p in out.glob("*.age")) == [f"{kept}.age"]
    assert (out / f"{kept}.age").read_bytes() == kept_data


def _run_in_pty(args, env, answers):
    """Run samizdat on a terminal, answering prompts in order; (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        argv = [sys.executable, "-m", "samizdat", *map(str, args)]
        os.execve(sys.executable, argv, env)  # noqa: S606 - fixed argv, our own CLI
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = io_select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip().endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")
            output += b"\n"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_fetch_prompts_on_a_terminal_without_echoing_the_password(world):
    inst, alice, url, pub, client_dir, tmp = world
    source_id = inst.add_source()
    sid, _ = _bundle(inst, source_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    env["SAMIZDAT_CLIENT_DIR"] = str(client_dir)
    out = tmp / "out"
    code, output = _run_in_pty(
        ["journalist", "fetch", "--server", url, "--user", "alice", "--server-key", pub,
         "--out", out],
        env,
        [alice.password, inst.next_code(alice)],
    )  # fmt: skip
    assert code == 0, output
    assert "Password for alice" in output and "Two-factor code" in output
    assert alice.password not in output
    assert (out / f"{sid}.age").is_file()
