"""DICOM: remove who operated the device and where, keep the clinical evidence.

The profile follows PS3.15 Annex E (Basic Application Level Confidentiality)
for the attributes naming staff, the site and the device, and departs from
it on purpose for the patient: by default the patient's name, age and sex,
the study's description and date, body part, modality and pixel data stay
(the evidence is *about* the patient; the source is the operator or the
site). Profile "strict" also removes patient identity.

Removed in every profile, at any depth (sequences are walked):
- people: operators, performing/reading/referring/requesting physicians,
  physicians of record, verifying observers, person names in reports;
- place and device: institution name/address/department and codes,
  station name, AE titles, device serial numbers and ids, plate/cassette/
  detector/gantry ids, scheduled/performed locations;
- site identifiers that link to the hospital's systems: accession number,
  study id, requested procedure/step ids; protocol name (it is the site's
  own naming and often names a person or the site);
- free text a technologist types (image comments);
- private tags, tags the standard's dictionary does not define, overlays
  (60xx: can hold burned-in text) and curves (50xx),
  original-attributes and digital-signature sequences;
- File Meta implementation/source fields; the 128-byte preamble is zeroed
  (a dual-personality file can hide a TIFF or executable there).
Instance UIDs (study, series, SOP instance, frame of reference, ...) embed
the device's root and often a timestamp: each distinct UID is replaced by a
fresh `2.25.<uuid>` consistently within the file, and the File Meta's
MediaStorageSOPInstanceUID follows the SOP Instance UID. Class and transfer
syntax UIDs are standard and stay.

Must never: change PixelData, keep a private tag, or put a value from the
file into the report (only attribute keywords).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.multival import MultiValue

from scrub.base import Profile, Rejected, Report
from scrub.formats._dicom_profile import EMPTY_NOT_DELETE, OPERATOR_AND_SITE, PATIENT_IDENTITY

# UIDs that are standard (SOP class, transfer syntax, coding schemes) stay.
_STANDARD_UID_ROOT = "1.2.840.10008."
_KEEP_UID_SUFFIXES = ("ClassUID", "TransferSyntaxUID", "CodingSchemeUID", "CreatorUID")
# Our own fixed implementation identity: the same for every output, so it
# names the tool, never the machine that ran it.
IMPLEMENTATION_CLASS_UID = "2.25.148202383626066414212574519219633930813"
IMPLEMENTATION_VERSION_NAME = "SAMIZDAT"


def _fresh_uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


class _Cleaner:
    def __init__(self, profile: Profile, report: Report) -> None:
        self.remove_keywords = OPERATOR_AND_SITE | (
            PATIENT_IDENTITY if profile.name == "strict" else frozenset()
        )
        self.report = report
        self.uid_map: dict[str, str] = {}
        self.elements = 0
        self.limit = profile.limits.max_segments

    def uid(self, old: str) -> str:
        if old not in self.uid_map:
            self.uid_map[old] = _fresh_uid()
        return self.uid_map[old]

    def clean(self, ds: Dataset, place: str, depth: int) -> None:
        if depth > 32:
            raise Rejected("DICOM sequences are nested too deeply")
        for elem in list(ds):
            self.elements += 1
            if self.elements > self.limit:
                raise Rejected("DICOM file has too many elements")
            self._clean_element(ds, elem, place, depth)

    def _clean_element(self, ds: Dataset, elem: DataElement, place: str, depth: int) -> None:
        tag = elem.tag
        keyword = elem.keyword or f"({tag.group:04X},{tag.element:04X})"
        if tag.is_private:
            del ds[tag]
            self.report.remove(f"{place}:private", f"group {tag.group:04X}")
            return
        group = tag.group
        if not elem.keyword and not (0x6000 <= group <= 0x60FF or 0x5000 <= group <= 0x50FF):
            # Not in the standard's dictionary: not known to be needed, and
            # a renumbered tag can carry any value (allowlist, not blocklist).
            del ds[tag]
            self.report.remove(f"{place}:unknown", keyword)
            return
        if 0x6000 <= group <= 0x60FF or 0x5000 <= group <= 0x50FF:
            del ds[tag]
            self.report.remove(place, "Overlay" if group >= 0x6000 else "Curve")
            return
        if keyword in self.remove_keywords:
            if keyword in EMPTY_NOT_DELETE and depth == 0:
                ds[tag].value = None
            else:
                del ds[tag]
            self.report.remove(place, keyword)
            return
        if elem.VR == "SQ":
            for item in elem.value:
                self.clean(item, f"{place}/{keyword}", depth + 1)
            return
        if elem.VR == "UI" and elem.value and not keyword.endswith(_KEEP_UID_SUFFIXES):
            values = elem.value if elem.VM > 1 else [elem.value]
            new: list[str] = []
            for v in values:
                text = str(v)
                new.append(text if text.startswith(_STANDARD_UID_ROOT) else self.uid(text))
            elem.value = new if elem.VM > 1 else new[0]
            self.report.remove(f"{place} (UIDs replaced)", keyword)


_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UT"}
)
# Tab, LF, FF, CR (text VRs) and ESC (ISO 2022 character-set switches).
_ALLOWED_CONTROLS = frozenset("\t\n\x0c\r\x1b")


def _check_text(elem: DataElement) -> None:
    """A text value holding control bytes is not text: it is what a
    corrupted or forged length looks like when it swallows the elements
    after it (which would then be copied out unexamined)."""
    if elem.VR not in _TEXT_VRS or elem.value is None:
        return
    values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
    for value in values:
        # Some writers pad with NULs instead of spaces: tolerated at the end.
        text = str(value).rstrip("\x00 ")
        if any(ord(c) < 32 and c not in _ALLOWED_CONTROLS for c in text):
            raise Rejected("a DICOM text value holds binary data (malformed length)")


def _check_complete(ds: Dataset) -> None:
    """pydicom stops quietly where a file ends: a truncated image must not
    come out as a smaller, valid-looking one."""
    meta = getattr(ds, "file_meta", None)
    sop_class = ds.get("SOPClassUID") or (meta.get("MediaStorageSOPClassUID") if meta else None)
    is_image = "Rows" in ds or (
        sop_class is not None and "Image Storage" in pydicom.uid.UID(str(sop_class)).name
    )
    if is_image and not any(
        k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
    ):
        raise Rejected("the DICOM image has no pixel data (truncated file?)")
    if "PixelData" not in ds or ds.file_meta.get("TransferSyntaxUID") is None:
        return
    syntax = pydicom.uid.UID(str(ds.file_meta.TransferSyntaxUID))
    if syntax.is_compressed:
        return  # encapsulated: fragment lengths are checked by whoever decodes
    try:
        expected = (
            int(ds.Rows)
            * int(ds.Columns)
            * int(ds.get("SamplesPerPixel", 1))
            * int(ds.get("NumberOfFrames", 1) or 1)
            * int(ds.BitsAllocated)
            + 7
        ) // 8
    except (AttributeError, TypeError, ValueError) as exc:
        raise Rejected("the DICOM image attributes are incomplete") from exc
    if str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
        expected = expected * 2 // 3  # chroma shared by two pixels: 2 samples per pixel
    if len(ds.PixelData) < expected:
        raise Rejected("the DICOM pixel data is shorter than the image (truncated file?)")


def _walk_all(ds: Dataset, visit: Callable[[DataElement], None], depth: int = 0) -> None:
    if depth > 32:
        raise Rejected("DICOM sequences are nested too deeply")
    for elem in ds:
        visit(elem)
        if elem.VR == "SQ":
            for item in elem.value:
                _walk_all(item, visit, depth + 1)


class DicomScrubber:
    type_name = "dicom"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        try:
            ds = pydicom.dcmread(io.BytesIO(untrusted_data), force=False)
            # Touch every element now so a malformed value fails here, as a
            # rejection, not halfway through writing.
            _walk_all(ds, _check_text)
            _check_complete(ds)
        except (
            InvalidDicomError,
            BytesLengthException,
            EOFError,
            ValueError,
            KeyError,
            TypeError,
            OSError,
            # pydicom raises this for a VR it cannot decode (found by fuzzing).
            NotImplementedError,
        ) as exc:
            raise Rejected("the DICOM file is malformed") from exc
        pixels_before = ds.PixelData if "PixelData" in ds else None
        burned = str(ds.get("BurnedInAnnotation", "")).strip().upper()
        cleaner = _Cleaner(profile, report)
        cleaner.clean(ds, "DICOM", 0)
        self._clean_file_meta(ds, cleaner, report)
        if burned == "YES":
            report.warnings.append(
                "BurnedInAnnotation is YES: text (names, dates, the site) is drawn in the "
                "pixels and was NOT removed"
            )
        report.residual_risks.append(
            "text burned into the image pixels is not removed; look at the image"
        )
        if profile.name != "strict":
            report.kept.append(
                "DICOM: patient name, age, sex, study description and date, body part and "
                "modality kept as clinical evidence (profile 'strict' removes patient identity)"
            )
        out = io.BytesIO()
        try:
            ds.save_as(out, enforce_file_format=True)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise Rejected("the DICOM file could not be rewritten") from exc
        if pixels_before is not None and ds.PixelData != pixels_before:
            raise Rejected("internal check failed: pixel data changed")
        return out.getvalue()

    @staticmethod
    def _clean_file_meta(ds: Dataset, cleaner: _Cleaner, report: Report) -> None:
        ds.preamble = b"\x00" * 128
        report.remove("DICOM:FileMeta", "Preamble")
        old: FileMetaDataset | None = getattr(ds, "file_meta", None)
        meta = FileMetaDataset()
        if old is not None:
            for keyword in (
                "ImplementationVersionName",
                "SourceApplicationEntityTitle",
                "SendingApplicationEntityTitle",
                "ReceivingApplicationEntityTitle",
                "SourcePresentationAddress",
                "SendingPresentationAddress",
                "ReceivingPresentationAddress",
                "PrivateInformationCreatorUID",
                "PrivateInformation",
            ):
                if keyword in old:
                    report.remove("DICOM:FileMeta", keyword)
            if "TransferSyntaxUID" in old:
                meta.TransferSyntaxUID = old.TransferSyntaxUID
        if "ImplementationClassUID" in (old or {}):
            report.remove("DICOM:FileMeta (replaced)", "ImplementationClassUID")
        meta.ImplementationClassUID = pydicom.uid.UID(IMPLEMENTATION_CLASS_UID)
        # Set explicitly, or pydicom writes its own name and version.
        meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
        sop_class = ds.get("SOPClassUID")
        if sop_class is not None:
            meta.MediaStorageSOPClassUID = sop_class
        elif old is not None and "MediaStorageSOPClassUID" in old:
            # A standard class UID (never remapped): the old meta's is fine.
            meta.MediaStorageSOPClassUID = old.MediaStorageSOPClassUID
        sop_instance = ds.get("SOPInstanceUID")
        if sop_instance is not None:
            meta.MediaStorageSOPInstanceUID = sop_instance
        elif old is not None and old.get("MediaStorageSOPInstanceUID"):
            meta.MediaStorageSOPInstanceUID = pydicom.uid.UID(
                cleaner.uid(str(old.MediaStorageSOPInstanceUID))
            )
        else:
            meta.MediaStorageSOPInstanceUID = pydicom.uid.UID(_fresh_uid())
        if "TransferSyntaxUID" not in meta:
            raise Rejected("the DICOM file has no transfer syntax")
        ds.file_meta = meta


SCRUBBER = DicomScrubber()
