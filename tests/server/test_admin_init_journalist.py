"""`samizdat admin init` and `admin journalist …` through the real CLI."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from crypto.keys import generate_identity
from tests.server.admin_helpers import ok, run_admin, tree_snapshot, write_pub


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance with "alice" enrolled. Tests run on xdist workers in any
    order, so none relies on another having run: each adds its own names."""
    d = tmp_path_factory.mktemp("inst") / "data"
    ok("init", "--data-dir", d)
    from server.admin.context import open_admin
    from server.admin.journalists import enrol_journalist

    enrol_journalist(open_admin(d), "alice", generate_identity().recipient())
    return d


def test_init_layout_and_permissions(instance: Path) -> None:
    assert (instance / "INSTANCE").is_file()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    # The journalist onion exists from the start, locked to a thrown-away key.
    assert (instance / "tor" / "journalist" / "authorized_clients" / "_sealed.auth").is_file()
    key = instance / "keys" / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    chain = json.loads((instance / "keys" / "server-keys.json").read_text())
    assert chain["format"] == "samizdat-server-keys-v1"
    assert len(chain["keys"]) == 1
    con = sqlite3.connect(instance / "samizdat.db")
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    actions = [r[0] for r in con.execute("select action from auditevent")]
    con.close()
    assert {"journalist", "journalistkey", "submission", "auditevent"} <= tables
    assert actions[:2] == ["instance.init", "journalist.add"]


def test_init_refuses_existing_instance(instance: Path) -> None:
    before = tree_snapshot(instance)
    r = run_admin("init", "--data-dir", instance)
    assert r.code != 0
    assert "error:" in r.err and "hint:" in r.err
    assert tree_snapshot(instance) == before


def test_init_refuses_non_empty_dir(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    r = run_admin("init", "--data-dir", tmp_path)
    assert r.code != 0 and "error:" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["something"]


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    pub = tmp_path / "k.pub"
    write_pub(pub)
    r = run_admin(
        "journalist", "add", "alice", "--public-key", pub, "--data-dir", tmp_path / "nope"
    )
    assert r.code != 0
    assert "does not exist" in r.err and "hint: " in r.err
    assert not (tmp_path / "nope").exists()


def test_add_json_credentials_and_state(instance: Path, tmp_path: Path) -> None:
    pub = tmp_path / "dana.pub"
    ident = write_pub(pub)
    r = ok(
        "journalist",
        "add",
        "dana",
        "--public-key",
        pub,
        "--json",
        env={"SAMIZDAT_DATA_DIR": str(instance)},
    )
    data = r.json()
    assert set(data) == {"name", "password", "totp_secret", "client_auth"}
    assert data["name"] == "dana"
    assert len(re.split(r"[ -]", data["password"])) >= 7
    secret = data["totp_secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits, unpadded, no spaces
    assert len(base64.b32decode(secret)) == 20
    key_b32 = data["client_auth"].rsplit(":", 1)[1]
    assert data["client_auth"].endswith(f"descriptor:x25519:{key_b32}")
    from crypto.onion import public_from_private

    auth = instance / "tor" / "journalist" / "authorized_clients" / "dana.auth"
    assert auth.read_text() == f"descriptor:x25519:{public_from_private(key_b32)}\n"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600

    con = sqlite3.connect(instance / "samizdat.db")
    (pw_hash, totp) = con.execute(
        "select password_hash, totp_secret from journalist where name='dana'"
    ).fetchone()
    (recipient,) = con.execute(
        "select k.recipient from journalistkey k join journalist j on j.id = k.journalist_id "
        "where j.name = 'dana'"
    ).fetchone()
    con.close()
    assert data["password"] not in pw_hash and pw_hash.startswith("$argon2id$")
    assert totp == secret
    assert recipient == ident.recipient().encode()
    from crypto.passwords import verify_password

    assert verify_password(pw_hash, data["password"])
    # Nothing of the plaintext password or private client-auth key is stored.
    blob = b"".join(tree_snapshot(instance).values())
    assert data["password"].encode() not in blob
    assert key_b32.encode() not in blob


def test_add_human_output_has_otpauth_uri(instance: Path, tmp_path: Path) -> None:
    pub = tmp_path / "erin.pub"
    write_pub(pub)
    r = ok("journalist", "add", "erin", "--public-key", pub, "--data-dir", instance)
    assert "otpauth://totp/Samizdat:erin?secret=" in r.out
    listed = ok("journalist", "list", "--json", "--data-dir", instance).json()
    assert {"alice", "erin"} <= {p["name"] for p in listed}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not a key\n", "not a valid age public key"),
        ("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n", "not a valid"),
        (None, "secret key"),  # an age-keygen style file
        ("", "exactly one"),
    ],
)
def test_add_bad_key_changes_nothing(
    instance: Path, tmp_path: Path, content: str | None, needle: str
) -> None:
    pub = tmp_path / "bad.pub"
    if content is None:
        ident = generate_identity()
        content = (
            f"# created: 2024-01-01\n# public key: {ident.recipient().encode()}\n{ident.encode()}\n"
        )
    pub.write_text(content)
    before = tree_snapshot(instance)
    r = run_admin("journalist", "add", "carol", "--public-key", pub, "--data-dir", instance)
    assert r.code != 0
    assert needle in r.err and "hint:" in r.err
    assert tree_snapshot(instance) == before


def test_add_duplicate_name_changes_nothing(instance: Path, tmp_path: Path) -> None:
    pub = tmp_path / "other.pub"
    write_pub(pub)
    before = tree_snapshot(instance)
    r = run_admin("journalist", "add", "alice", "--public-key", pub, "--data-dir", instance)
    assert r.code != 0 and "already exists" in r.err
    assert tree_snapshot(instance) == before


def test_destructive_commands_need_yes_without_tty(instance: Path) -> None:
    before = tree_snapshot(instance)
    r = run_admin("journalist", "reset-password", "alice", "--data-dir", instance)
    assert r.code != 0 and "--yes" in r.err
    assert tree_snapshot(instance) == before
    r = ok("journalist", "reset-password", "alice", "--yes", "--json", "--data-dir", instance)
    assert len(re.split(r"[ -]", r.json()["password"])) >= 7
