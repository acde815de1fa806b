"""Helpers for driving the source app in tests: a TestClient wrapper that
walks the real pages (CSRF tokens read from the HTML), sample files, and
opening bundles with the journalist's key like the offline client does."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.testclient import TestClient

from crypto.keychain import KeyChain
from crypto.opener import OpenedBundle, open_bundle
from tests.server.conftest import Instance

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CODENAME_RE = re.compile(r'<p class="codename" id="codename">([^<]+)</p>')


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token on the page"
    return m.group(1)


class SourceClient:
    def __init__(self, client: TestClient) -> None:
        self.c = client
        self.token = ""

    def home(self, **params: str) -> Any:
        r = self.c.get("/", params=params)
        assert r.status_code == 200
        self.token = csrf(r.text)
        return r

    def new_source(self) -> str:
        if not self.token:
            self.home()
        r = self.c.post("/new", data={"csrf_token": self.token})
        assert r.status_code == 200, r.text
        m = CODENAME_RE.search(r.text)
        assert m, r.text
        self.token = csrf(r.text)
        return m.group(1)

    def submit(
        self,
        files: Sequence[tuple[str, bytes]] = (),
        message: str = "",
        *,
        keep_metadata: bool = False,
        extra: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Any:
        data = {"csrf_token": self.token if token is None else token, "message": message}
        if keep_metadata:
            data["keep_metadata"] = "1"
        data.update(extra or {})
        multipart = [("files", (name, body, "application/octet-stream")) for name, body in files]
        if not multipart:
            multipart = [("files", ("", b"", "application/octet-stream"))]
        return self.c.post("/submit", data=data, files=multipart)

    def login(self, codename: str) -> Any:
        r = self.c.get("/login")
        self.token = csrf(r.text)
        r = self.c.post(
            "/login", data={"csrf_token": self.token, "codename": codename}, follow_redirects=False
        )
        if r.status_code == 303:
            page = self.c.get(r.headers["location"])
            self.token = csrf(page.text)
            return page
        return r


def gps_jpeg(marker: str) -> bytes:
    """A small JPEG whose EXIF (GPS and description) carries `marker`."""
    img = Image.new("RGB", (32, 24), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010E] = f"desc {marker}"  # ImageDescription
    exif[0x010F] = "MarkerCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (55.0, 45.0, 12.5)
    gps[3] = "E"
    gps[4] = (37.0, 37.0, 1.0)
    gps[0x1B] = b"ASCII\x00\x00\x00" + marker.encode()  # GPSProcessingMethod
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    return buf.getvalue()


def open_all(instance: Instance, out: Path) -> list[OpenedBundle]:
    """Open every stored bundle with the journalist key, verifying signatures."""
    chain = KeyChain.from_json(instance.paths.server_keys_json.read_text())
    # Trust starts at the first key (the one journalists pin at enrolment).
    trusted = chain.resolve(chain.keys[0])
    opened = []
    out.mkdir(parents=True, exist_ok=True)
    for bundle in sorted(instance.paths.bundles.glob("*.age")):
        sig = bundle.with_name(bundle.name + ".minisig")
        opened.append(open_bundle(bundle, sig, instance.journalist, trusted, out))
    return opened
