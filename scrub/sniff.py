"""Detect a file's real type from its bytes, never from its name or declared type.

`sniff(head)` looks only at magic bytes in the first few KiB (cheap, safe to
run anywhere, including in the server process before sandboxing).
`sniff_bytes(data)` may also look inside a ZIP's central directory to tell
Office/ODF documents apart from other archives.

Must never: trust a file name, extension or MIME type; decompress anything;
raise for any input (every input maps to a type name, "unknown" at worst).
"""

from __future__ import annotations

import io
import struct

# The names other packages rely on (CONTRACT / brief).
TYPES = (
    "jpeg",
    "png",
    "webp",
    "gif",
    "tiff",
    "heif",
    "pdf",
    "docx",
    "xlsx",
    "pptx",
    "odt",
    "ods",
    "odp",
    "mp4",
    "mov",
    "dicom",
    "text",
    "markup",
    "unknown",
)

# How much of the file `sniff` wants; callers streaming a file pass this much.
HEAD_BYTES = 8192

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
)
_MOV_BRANDS = frozenset({b"qt  "})
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4A ",
        b"M4VH",
        b"M4VP",
        b"3gp4",
        b"3gp5",
        b"3gp6",
        b"3g2a",
        b"dash",
        b"MSNV",
        b"XAVC",
        b"f4v ",
    }
)
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_MAIN_DIRS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
# Control characters allowed in plain text (tab, LF, FF, CR).
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")
_BAD_TEXT_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"


def sniff(head: bytes) -> str:
    """Type name from the first bytes (HEAD_BYTES is plenty)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    # PDF readers accept a header anywhere in the first KiB; so must we, or a
    # PDF with junk in front would be sealed "unknown" instead of cleaned.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    iso = _sniff_isobmff(head)
    if iso:
        return iso
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip_head(head)
    if _looks_like_text(head, truncated=True):
        return "markup" if _is_markup(head) else "text"
    return "unknown"


def sniff_bytes(data: bytes) -> str:
    """Type name from the whole file; looks inside ZIPs and checks all text."""
    kind = sniff(data[:HEAD_BYTES])
    if kind in ("text", "markup"):
        return kind if _looks_like_text(data, truncated=False) else "unknown"
    if kind == "unknown" and data.startswith(b"PK\x03\x04"):
        return _sniff_zip_directory(data)
    if kind in ("docx", "xlsx", "pptx", "odt", "ods", "odp"):
        # The head guessed from the first members; the central directory decides.
        return _sniff_zip_directory(data)
    return kind


def _sniff_isobmff(head: bytes) -> str:
    if len(head) < 12:
        return ""
    box_type = head[4:8]
    if box_type == b"ftyp":
        (size,) = struct.unpack(">I", head[:4])
        major = head[8:12]
        compat = [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        brands = [major, *compat]
        if major in _HEIF_BRANDS:
            return "heif"
        if major in _MOV_BRANDS:
            return "mov"
        if major in _MP4_BRANDS:
            return "mp4"
        if any(b in _HEIF_BRANDS for b in compat) and not any(b in _MP4_BRANDS for b in compat):
            return "heif"
        if any(b in _MOV_BRANDS for b in brands):
            return "mov"
        if any(b in _MP4_BRANDS for b in brands):
            return "mp4"
        return ""
    # Old QuickTime files start with these atoms and no ftyp.
    if box_type in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        (size,) = struct.unpack(">I", head[:4])
        if size >= 8 or size in (0, 1):
            return "mov"
    return ""


def _sniff_zip_head(head: bytes) -> str:
    # ODF requires an uncompressed first member named "mimetype" holding the type.
    if head[30:38] == b"mimetype":
        for mime, kind in _ODF_MIMETYPES.items():
            if head[38 : 38 + len(mime)] == mime:
                return kind
    if b"[Content_Types].xml" in head:
        for prefix, kind in _OOXML_MAIN_DIRS:
            if prefix.encode() in head:
                return kind
    return "unknown"


def _sniff_zip_directory(data: bytes) -> str:
    import zipfile  # noqa: PLC0415 - only for ZIPs: keeps `samizdat scrub` start-up light

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) > 100_000:
                return "unknown"
            name_set = set(names)
            if "mimetype" in name_set:
                info = archive.getinfo("mimetype")
                if info.compress_type == zipfile.ZIP_STORED and info.file_size < 200:
                    mime = archive.read("mimetype").strip()
                    if mime in _ODF_MIMETYPES:
                        return _ODF_MIMETYPES[mime]
            if "[Content_Types].xml" in name_set:
                for prefix, kind in _OOXML_MAIN_DIRS:
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except Exception:  # any failure to read the directory: not a document we know
        return "unknown"
    return "unknown"


# Text formats that carry metadata of their own (RTF \\author and \\info,
# HTML <meta name="author">, SVG <metadata>, XML processing instructions,
# PostScript %%Creator, e-mail Received:/From: headers). They are text, but
# passing them through as "cleaned" would be a lie: they are sealed "not
# cleaned" until a scrubber exists for them.
_MARKUP_PREFIXES = (b"{\\rtf", b"<?xml", b"<svg", b"<!doctype", b"<html", b"<head", b"%!ps")
_MAIL_HEADERS = (b"received:", b"return-path:", b"from:", b"message-id:", b"mime-version:")


def _is_markup(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if start.startswith(_MARKUP_PREFIXES):
        return True
    return start.startswith(_MAIL_HEADERS) and b"\n" in head[:4096]


def _looks_like_text(data: bytes, *, truncated: bool) -> bool:
    if not data:
        return False
    if data.translate(None, _BAD_TEXT_BYTES) != data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A head cut mid-character is still text if only the tail is partial.
        return truncated and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True
