"""PDF: a full rewrite by qpdf (pikepdf) from the objects reachable from the
document catalog, never an incremental update.

An incremental update (what `exiftool -all=` does) appends a new revision
and leaves every earlier value in the file; a full rewrite writes only the
objects the current document references, so earlier revisions, deleted
pages and orphaned objects are gone. Before writing we remove:
- the Info dictionary and every XMP stream (document and per object),
  PieceInfo and LastModified (application private data and edit times);
- annotation authors (/T on markup annotations; a form field's /T is its
  name and stays) and annotation dates;
- JavaScript and other active actions (neutralised in place), automatic
  actions (/AA), the document-level JavaScript name tree, XFA packets;
- digital signature values (the signer's certificate names a person);
- page thumbnails (a rendering that may show an earlier state).
Embedded files are cleaned through the scrubbers or, if any cannot be,
all are dropped and reported. JPEG images (DCTDecode) are cleaned
losslessly by the JPEG scrubber: the entropy-coded data is unchanged.
Content streams are never touched, so text (including hidden OCR text)
and drawing are bit-exact. The /ID is fresh: the first half random, the
second a hash of the new content (no clock, unlike qpdf's default).

Must never: keep an incremental update, write the server's clock or a
value derived from it, decode an unbounded stream, or touch page content.
"""

from __future__ import annotations

import io
import os
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from scrub.base import Profile, Rejected, Report, ScrubError
from scrub.formats._embedded import clean_embedded
from scrub.formats._paths import basename, is_local_path
from scrub.formats._xmp import record_xmp
from scrub.limits import check_count

_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/Rendition"})
_OBJECT_PRIVATE_KEYS = ("/Metadata", "/PieceInfo", "/LastModified")
# Links to other files and to URIs stay (they are content), but a local path
# in them names a user or a machine: it keeps only the file name.
_PATH_ACTIONS = frozenset({"/GoToR", "/GoToE", "/URI", "/Thread"})
# Dates, and /NM (an annotation's "unique name": tools derive it from a
# GUID, a time or the author).
_ANNOT_DATES = ("/M", "/CreationDate", "/NM")
_INTERESTING_KEYS = frozenset(
    {*_OBJECT_PRIVATE_KEYS, "/AA", "/S", "/FT", "/Subtype", "/Type", "/Params"}
)
# Large enough for any real XMP packet or attachment we clean in memory;
# a stream inflating past it is a decompression bomb.
_MAX_DECODE = 64 << 20


def _bounded_decode(stream: Stream, limit: int) -> bytes | None:
    """Decode a stream without letting a Flate bomb allocate more than
    `limit` bytes; None when the filter chain is not one we bound."""
    filters = stream.get("/Filter")
    raw = stream.read_raw_bytes()
    if filters is None:
        return raw if len(raw) <= limit else None
    if isinstance(filters, Array):
        if len(filters) != 1:
            return None
        filters = filters[0]
    if filters != Name.FlateDecode or stream.get("/DecodeParms") is not None:
        return None
    d = zlib.decompressobj()
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error:
        return None
    return out if len(out) <= limit else None


def _is_dct(stream: Stream) -> bool:
    f = stream.get("/Filter")
    if isinstance(f, Array):
        return len(f) == 1 and f[0] == Name.DCTDecode
    return f == Name.DCTDecode


class PdfScrubber:
    type_name = "pdf"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        limits = profile.limits
        try:
            pdf = pikepdf.open(io.BytesIO(untrusted_data))
        except pikepdf.PasswordError as exc:
            raise ScrubError("the PDF is password-protected; it cannot be cleaned") from exc
        except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
            raise Rejected("the PDF could not be parsed") from exc
        with pdf:
            # /Size is checked before objects are loaded (a cheap claim);
            # the real count is checked before we iterate them.
            size = pdf.trailer.get("/Size")
            if isinstance(size, int):
                check_count(int(size), limits.max_objects, "PDF objects")
            check_count(len(pdf.pages), limits.max_pages, "PDF pages")
            damaged = bool(pdf.get_warnings())
            try:
                self._clean(pdf, profile, report)
            except (AttributeError, TypeError, KeyError, ValueError, UnicodeDecodeError) as exc:
                # Hostile structure (an array where a dictionary must be, a
                # name that is not UTF-8, ...) found by fuzzing: a rejection,
                # never a half-cleaned document.
                raise Rejected("the PDF's structure is malformed") from exc
            # Fresh ID: random first half; with deterministic_id qpdf derives
            # the second from the content instead of the current time.
            pdf.trailer.ID = Array([String(os.urandom(16)), String(os.urandom(16))])
            out = io.BytesIO()
            pdf.save(
                out,
                deterministic_id=True,
                encryption=False,
                fix_metadata_version=False,
                linearize=False,
                qdf=False,
            )
        data = out.getvalue()
        try:
            # Never hand out a file qpdf itself cannot read back (a damaged
            # input can be "recovered" into an output that does not parse).
            with pikepdf.open(io.BytesIO(data)) as check:
                check_count(len(check.pages), limits.max_pages, "PDF pages")
        except pikepdf.PdfError as exc:
            raise Rejected("the PDF could not be rewritten into a readable file") from exc
        if damaged:
            # qpdf rebuilt a broken cross-reference table: what it found is
            # what we wrote. The warning's text never quotes the file.
            report.warnings.append(
                "the PDF was damaged and was repaired while cleaning: check that every page "
                "is present in the cleaned copy"
            )
        report.residual_risks.append(
            "visible page content (text, images, scans of printouts) can identify the author"
        )
        return data

    def _clean(self, pdf: pikepdf.Pdf, profile: Profile, report: Report) -> None:
        trailer, root = pdf.trailer, pdf.Root
        info = trailer.get("/Info")
        if isinstance(info, Dictionary):
            for key in info.keys():  # noqa: SIM118 - pikepdf dictionaries
                report.remove("PDF:Info", str(key)[1:65])
        if "/Info" in trailer:
            del trailer["/Info"]
        meta = root.get("/Metadata")
        if isinstance(meta, Stream):
            packet = _bounded_decode(meta, _MAX_DECODE)
            if packet is not None:
                record_xmp(packet, report.remove, place="PDF:XMP")
            report.remove("PDF:Root", "Metadata")
        for key in ("/Metadata", "/PieceInfo", "/SpiderInfo", "/Perms", "/Legal"):
            if key in root:
                del root[key]
                report.remove("PDF:Root", key[1:])
        names = root.get("/Names")
        if isinstance(names, Dictionary) and "/JavaScript" in names:
            del names["/JavaScript"]
            report.remove("PDF:Names", "JavaScript")
        acro = root.get("/AcroForm")
        if isinstance(acro, Dictionary):
            if "/XFA" in acro:
                del acro["/XFA"]
                report.remove("PDF:AcroForm", "XFA")
            if "/SigFlags" in acro:
                del acro["/SigFlags"]

        attachments: list[Stream] = []
        images: list[Stream] = []
        has_jpx = False
        found = self._reachable(pdf, profile.limits.max_objects, report)
        for obj in found:
            if isinstance(obj, Stream):
                subtype = obj.get("/Subtype")
                if obj.get("/Type") == Name.EmbeddedFile:
                    attachments.append(obj)
                elif subtype == Name.Image and _is_dct(obj):
                    images.append(obj)
                elif subtype == Name.Image:
                    f = obj.get("/Filter")
                    has_jpx = has_jpx or f == Name.JPXDecode
        for page in pdf.pages:
            if "/Thumb" in page.obj:
                del page.obj["/Thumb"]
                report.remove("PDF:Page", "Thumb")
        for n, image in enumerate(images):
            self._clean_image(image, n, profile, report)
        if attachments:
            self._clean_attachments(pdf, attachments, found, profile, report)
        if has_jpx:
            report.residual_risks.append(
                "JPEG 2000 (JPX) images inside a PDF are kept as they are and may hold metadata"
            )

    @staticmethod
    def _reachable(pdf: pikepdf.Pdf, max_objects: int, report: Report) -> list[Dictionary | Stream]:
        """Every dictionary and stream reachable from the trailer, direct or
        indirect (an /OpenAction is often a direct dictionary). Unreferenced
        objects are never visited: the rewrite drops them anyway, so a file
        stuffed with orphans costs no work here."""
        found: list[Dictionary | Stream] = []
        seen: set[tuple[int, int]] = set()
        stack: list[object] = [pdf.trailer]
        visits = 0
        while stack:
            obj = stack.pop()
            visits += 1
            # Direct objects are trees (no cycles); this bounds wide ones.
            check_count(visits, 4 * max_objects, "PDF objects")
            if isinstance(obj, Dictionary | Stream | Array):
                if obj.is_indirect:
                    key = obj.objgen
                    if key in seen:
                        continue
                    seen.add(key)
                if isinstance(obj, Array):
                    stack.extend(v for v in obj if isinstance(v, Dictionary | Stream | Array))
                else:
                    found.append(obj)
                    # Clean before descending: removed XMP and actions are
                    # then never visited.
                    PdfScrubber._clean_object(obj, report)
                    stack.extend(
                        v for v in obj.values() if isinstance(v, Dictionary | Stream | Array)
                    )
        check_count(len(seen), max_objects, "PDF objects")
        return found

    @staticmethod
    def _clean_object(obj: Dictionary | Stream, report: Report) -> None:
        # One keys() call and set lookups: this runs for every reachable
        # object, so per-key calls into qpdf would dominate the run time.
        keys = set(obj.keys())
        if keys.isdisjoint(_INTERESTING_KEYS):
            return
        for key in _OBJECT_PRIVATE_KEYS:
            if key in keys:
                del obj[key]
                report.remove("PDF:objects", key[1:])
        if "/AA" in keys:
            del obj["/AA"]
            report.remove("PDF:objects", "AA (automatic actions)")
        if "/S" in keys:
            action = obj.get("/S")
            if isinstance(action, Name) and str(action) in _PATH_ACTIONS:
                _neutral_file_refs(obj, report)
            if isinstance(action, Name) and str(action) in _ACTIVE_ACTIONS:
                # Neutralise in place: an empty JavaScript action does
                # nothing, and every reference to this action stays valid.
                for key in ("/JS", "/F", "/Win", "/Mac", "/Unix", "/Fields", "/R", "/AN"):
                    if key in keys:
                        del obj[key]
                obj["/S"] = Name.JavaScript
                obj["/JS"] = String("")
                report.remove("PDF:Actions", str(action)[1:])
        if "/FT" in keys and "/V" in keys and obj.get("/FT") == Name.Sig:
            del obj["/V"]
            report.remove("PDF:Signature", "V (signature value and certificate)")
        type_ = obj.get("/Type") if "/Type" in keys else None
        if "/Subtype" in keys and ("/Rect" in keys or type_ == Name.Annot):
            for key in _ANNOT_DATES:
                if key in keys:
                    del obj[key]
                    report.remove("PDF:Annot", key[1:])
            # On a widget /T is the form field's name (content); on markup
            # annotations it is the author.
            if "/T" in keys and obj.get("/Subtype") != Name.Widget:
                del obj["/T"]
                report.remove("PDF:Annot", "T (author)")
        if type_ == Name.EmbeddedFile and "/Params" in keys:
            del obj["/Params"]
            report.remove("PDF:EmbeddedFile", "Params (dates, checksum)")

    @staticmethod
    def _clean_image(image: Stream, n: int, profile: Profile, report: Report) -> None:
        raw = image.read_raw_bytes()
        _, cleaned = clean_embedded(raw, profile, report, "PDF:Image")
        if cleaned is None:
            raise ScrubError(f"an embedded JPEG image (number {n + 1}) could not be cleaned")
        if cleaned != raw:
            parms = image.get("/DecodeParms")
            image.write(
                cleaned,
                filter=Name.DCTDecode,
                decode_parms=parms if isinstance(parms, Dictionary | Array) else None,
            )

    @staticmethod
    def _clean_attachments(
        pdf: pikepdf.Pdf,
        attachments: list[Stream],
        found: list[Dictionary | Stream],
        profile: Profile,
        report: Report,
    ) -> None:
        cleaned: list[tuple[Stream, bytes]] = []
        for stream in attachments:
            data = _bounded_decode(stream, _MAX_DECODE)
            if data is None:
                break
            _, out = clean_embedded(data, profile, report, "PDF:EmbeddedFile")
            if out is None:
                break
            cleaned.append((stream, out))
        if len(cleaned) == len(attachments):
            for stream, out in cleaned:
                stream.write(zlib.compress(out, 6), filter=Name.FlateDecode)
            _neutral_attachment_names(pdf, report)
            report.kept.append("PDF: embedded files were cleaned and kept under neutral names")
            return
        # One attachment cannot be cleaned: drop them all, and every way of
        # reaching them (the name tree, portfolios, attachment annotations).
        names = pdf.Root.get("/Names")
        if isinstance(names, Dictionary) and "/EmbeddedFiles" in names:
            del names["/EmbeddedFiles"]
        if "/Collection" in pdf.Root:
            del pdf.Root["/Collection"]
        for obj in found:
            if "/AF" in obj:  # PDF 2.0 associated files point at filespecs too
                del obj["/AF"]
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if isinstance(annots, Array):
                keep = [a for a in annots if a.get("/Subtype") != Name.FileAttachment]
                page.obj["/Annots"] = Array(keep)
        report.remove("PDF:EmbeddedFiles", f"{len(attachments)} attached file(s) dropped")
        report.warnings.append(
            "attached files inside the PDF could not be cleaned and were removed"
        )


def _neutral_file_refs(action: Dictionary | Stream, report: Report) -> None:
    targets: list[tuple[Dictionary | Stream, str]] = [(action, k) for k in ("/F", "/URI")]
    spec = action.get("/F")
    if isinstance(spec, Dictionary):
        targets += [(spec, k) for k in ("/F", "/UF", "/DOS", "/Unix", "/Mac")]
    for holder, key in targets:
        value = holder.get(key)
        if isinstance(value, String):
            text = str(value)
            if is_local_path(text):
                holder[key] = String(basename(text))
                report.remove("PDF:Actions", f"{key[1:]} (local path)")


def _neutral_attachment_names(pdf: pikepdf.Pdf, report: Report) -> None:
    """Rename attachments "attachment-N.ext": a file name or path (/F, /UF,
    the name-tree key) can name a user or a machine."""
    names = pdf.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, Dictionary) else None
    if not isinstance(names, Dictionary) or not isinstance(tree, Dictionary):
        return
    leaves: list[tuple[str, pikepdf.Object]] = []
    for key, spec in pikepdf.NameTree(tree).items():
        ext = os.path.splitext(str(key))[1][:8]
        if not ext.isascii() or not ext[1:].isalnum():
            ext = ""
        new = f"attachment-{len(leaves) + 1}{ext}"
        if isinstance(spec, Dictionary):
            for k in ("/F", "/UF"):
                if k in spec:
                    spec[k] = String(new)
            if "/Desc" in spec:
                del spec["/Desc"]
        leaves.append((new, spec))
        report.remove("PDF:EmbeddedFile", "F/UF (file name)")
    flat: list[pikepdf.Object] = []
    for key, spec in leaves:
        flat += [String(key), spec]
    names["/EmbeddedFiles"] = pdf.make_indirect(Dictionary(Names=Array(flat)))


SCRUBBER = PdfScrubber()
