"""Fuzz targets: one function per parser that takes untrusted bytes, and
the seed inputs to start from.

A target returns normally for any input the parser handles as designed
(including a refusal with the package's own error: ScrubError, CryptoError,
IngestError) and raises anything else: that is a finding. Used by the
atheris runner (tests/fuzz/run_atheris.py), the Hypothesis fallback and the
regression replay (tests/fuzz/test_fuzz.py).

Must never: write an input anywhere (the runner owns the corpus folder),
touch the network, or swallow an exception that is not a designed refusal.
"""

from __future__ import annotations

import contextlib
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from crypto.errors import CryptoError
from scrub.base import DEFAULT_PROFILE, Outcome, Report, ScrubError
from scrub.sniff import TYPES, sniff, sniff_bytes

# Fixed keys so seeds and regression inputs replay the same way every time.
_IDENTITY_HEX = "4f" * 32
_SIGNING_SEED = bytes(range(32))
_SIGNED_MESSAGE = b"samizdat fuzz message\n"
_BOUNDARY = b"fuzzboundary"
_SNIFF_TYPES = frozenset(TYPES)


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]


class Finding(AssertionError):
    """A parser broke an invariant (not an exception escaping it)."""


# -- scrubbers -----------------------------------------------------------------


def _scrub_target(kind: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from scrub import registry

        scrubber = registry.get(kind)
        report = Report(detected_type=kind)
        try:
            out = scrubber.scrub(data, DEFAULT_PROFILE, report)
        except ScrubError as exc:
            if exc.outcome not in (Outcome.REJECTED, Outcome.NOT_CLEANED):
                raise Finding(f"ScrubError with outcome {exc.outcome}") from None
            return
        if not isinstance(out, bytes):
            raise Finding(f"{kind} scrubber returned {type(out).__name__}")

    return run


def _image(fmt: str, **kw: object) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (16, 12), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "FuzzCam"
    buf = io.BytesIO()
    if fmt == "GIF":
        img = img.convert("P")
        img.save(buf, fmt, comment=b"fuzz")
    elif fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
        img.save(buf, fmt, exif=exif.tobytes())
    else:
        img.save(buf, fmt, exif=exif.tobytes(), **kw)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _office_seeds(kind: str) -> list[bytes]:
    from tests.scrub import _office_corpus as office

    if kind == "docx":
        return [office.make_docx()]
    if kind == "xlsx":
        return [office.make_xlsx()]
    if kind in ("odt", "ods", "odp"):
        return [office.make_odf(kind)]
    # pptx: a minimal package (the office corpus builds docx/xlsx/odf only).
    ct = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Override PartName="/ppt/presentation.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
    )
    pres = (
        b'<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/'
        b'presentationml/2006/main"/>'
    )
    core = (
        b'<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
        b'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:creator>Fuzz</dc:creator></cp:coreProperties>"
    )
    return [
        _zip(
            {
                "[Content_Types].xml": ct,
                "ppt/presentation.xml": pres,
                "docProps/core.xml": core,
            }
        )
    ]


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _mp4(brand: bytes) -> bytes:
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    mvhd = _box(b"mvhd", b"\x00" * 100)
    stco = _box(b"stco", b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00")
    stbl = _box(b"stbl", stco)
    trak = _box(b"trak", _box(b"mdia", _box(b"minf", stbl)))
    udta = _box(b"udta", _box(b"\xa9nam", b"fuzz title"))
    moov = _box(b"moov", mvhd + trak + udta)
    return ftyp + moov + _box(b"mdat", b"\x00" * 32)


def _scrub_seeds(kind: str) -> Callable[[], list[bytes]]:
    def seeds() -> list[bytes]:
        from tests.scrub import _docs_corpus as docs

        if kind in ("jpeg", "png", "webp", "tiff", "gif", "heif"):
            fmt = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "tiff": "TIFF", "gif": "GIF"}
            return [_image(fmt.get(kind, "HEIF"))]
        if kind == "pdf":
            return [docs.make_pdf(pages=1)]
        if kind == "dicom":
            return [docs.make_dicom()]
        if kind in ("mp4", "mov"):
            return [_mp4(b"isom" if kind == "mp4" else b"qt  ")]
        if kind == "text":
            return [b"id,name\n1,fuzz\n", "привет\r\n".encode()]
        return _office_seeds(kind)

    return seeds


# -- sniff ---------------------------------------------------------------------


def run_sniff(data: bytes) -> None:
    for got in (sniff(data[:8192]), sniff_bytes(data)):
        if got not in _SNIFF_TYPES:
            raise Finding(f"sniff returned {got!r}")


# -- streaming multipart (server.ingest.form, in-process) ------------------------


class _Recorder:
    """A FormHandler that checks the parser calls it in a sane order."""

    def __init__(self) -> None:
        self.in_file = False
        self.files = 0

    def field(self, name: str, value: str) -> None:
        if self.in_file or not isinstance(value, str):
            raise Finding("field() inside a file or with a non-str value")

    def file_start(self, untrusted_filename: str) -> None:
        if self.in_file:
            raise Finding("file_start() twice without file_end()")
        self.in_file = True
        self.files += 1

    def file_data(self, untrusted_data: bytes) -> None:
        if not self.in_file:
            raise Finding("file_data() outside a file")

    def file_end(self) -> None:
        if not self.in_file:
            raise Finding("file_end() without file_start()")
        self.in_file = False


def run_multipart(data: bytes) -> None:
    from server.ingest.errors import IngestError
    from server.ingest.form import FormLimits, StreamingForm

    if not data:
        return
    # The first byte picks how the body is cut into chunks (as a network would).
    step = 1 + data[0] * 7
    body = data[1:]
    limits = FormLimits(
        max_file_bytes=4096, max_files=4, max_total_file_bytes=8192, max_message_chars=512
    )
    handler = _Recorder()
    form = StreamingForm(_BOUNDARY, handler, limits)
    try:
        for i in range(0, len(body), step):
            form.write(body[i : i + step])
        form.finish()
    except IngestError:
        return
    if handler.files > limits.max_files:
        raise Finding(f"{handler.files} files passed a limit of {limits.max_files}")


def multipart_seeds() -> list[bytes]:
    b = b"--" + _BOUNDARY
    body = (
        b
        + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\ntok\r\n'
        + b
        + b'\r\nContent-Disposition: form-data; name="message"\r\n\r\nhello\r\n'
        + b
        + b'\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nabc\r\n"
        + b
        + b'\r\nContent-Disposition: form-data; name="files"; filename=""\r\n\r\n\r\n'
        + b
        + b"--\r\n"
    )
    return [b"\x00" + body, b"\x05" + body]


# -- age reader ------------------------------------------------------------------


def _identity() -> object:
    from crypto.keys import Identity

    return Identity.from_bytes(bytes.fromhex(_IDENTITY_HEX))


def run_age(data: bytes) -> None:
    from crypto.age import AgeReader

    try:
        reader = AgeReader(io.BytesIO(data), [_identity()])  # type: ignore[list-item]
        reader.read_all(limit=1 << 20)
    except CryptoError:
        return


def age_seeds() -> list[bytes]:
    from crypto.age import encrypt_bytes

    recipient = _identity().recipient()  # type: ignore[attr-defined]
    return [encrypt_bytes(b"", [recipient]), encrypt_bytes(b"x" * 70_000, [recipient])]


# -- minisign verifier ------------------------------------------------------------


def _signing_key() -> object:
    from crypto.signing import SigningKey

    return SigningKey.from_seed(_SIGNING_SEED)


def run_minisign(data: bytes) -> None:
    from crypto.signing import PublicKey, verify_bytes

    text = data.decode("utf-8", "replace")
    key = _signing_key().public_key()  # type: ignore[attr-defined]
    with contextlib.suppress(CryptoError):
        verify_bytes(key, _SIGNED_MESSAGE, text)
    with contextlib.suppress(CryptoError):
        PublicKey.parse(text)


def minisign_seeds() -> list[bytes]:
    sk = _signing_key()
    sig = sk.sign_bytes(_SIGNED_MESSAGE, "samizdat-bundle id=fuzz")  # type: ignore[attr-defined]
    pub = sk.public_key().minisign_text()  # type: ignore[attr-defined]
    return [sig.encode(), pub.encode()]


# -- the registry ---------------------------------------------------------------


def all_targets() -> dict[str, Target]:
    from scrub.registry import registered_types

    targets = {
        f"scrub-{kind}": Target(f"scrub-{kind}", _scrub_target(kind), _scrub_seeds(kind))
        for kind in sorted(registered_types())
    }
    scrubbers = list(targets.values())
    targets["sniff"] = Target("sniff", run_sniff, lambda: [s for t in scrubbers for s in t.seeds()])
    targets["multipart"] = Target("multipart", run_multipart, multipart_seeds)
    targets["age"] = Target("age", run_age, age_seeds)
    targets["minisign"] = Target("minisign", run_minisign, minisign_seeds)
    return targets
