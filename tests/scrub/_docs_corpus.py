"""Sample documents for the document/DICOM/video scrubber tests, built here.

Each planted value is a unique marker (`SMZ` + a tag) so a leak anywhere in
an output (raw, inflated stream, ZIP member, exiftool output) is found by a
plain byte search. Nothing here is committed binary: every file is made
from code, with Pillow, pikepdf, python-docx, raw ZIP/XML, pydicom, ffmpeg
and exiftool.
"""

from __future__ import annotations

import io
import zipfile

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image


def marker(tag: str) -> str:
    return f"SMZ{tag}Q7"


def exif_jpeg(tag: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG with EXIF Artist/Make/ImageDescription carrying markers."""
    img = Image.new("RGB", size, (10, 120, 200))
    for x in range(size[0]):
        img.putpixel((x, x % size[1]), (255, x % 256, 0))
    exif = Image.Exif()
    exif[0x013B] = marker(tag + "Artist")  # Artist
    exif[0x010F] = marker(tag + "Make")  # Make
    exif[0x010E] = marker(tag + "Desc")  # ImageDescription
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif.tobytes(), comment=marker(tag + "Com").encode())
    return out.getvalue()


PDF_MARKERS = [
    "InfoAuthor",
    "InfoTitle",
    "InfoCustom",
    "XmpCreator",
    "XmpPage",
    "PieceInfo",
    "AnnotAuthor",
    "AnnotDate",
    "JavaScript",
    "OpenActionJS",
    "AttachName",
    "AttachBody",
    "ImgArtist",
    "ImgMake",
    "ImgDesc",
    "ImgCom",
    "OldRevision",
]


def _xmp(value: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator><rdf:Seq><rdf:li>{value}</rdf:li></rdf:Seq></dc:creator>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def make_pdf(pages: int = 3, *, incremental_old_value: bool = True) -> bytes:
    """A PDF with text (visible and invisible OCR-style), a JPEG with EXIF,
    Info, XMP (document and per page), PieceInfo, a markup annotation with
    author/date, JavaScript (document, OpenAction, AA), an attachment, and
    an incremental update whose earlier revision holds a marker."""
    pdf = pikepdf.new()
    jpeg = exif_jpeg("Img")
    image = pikepdf.Stream(pdf, jpeg)
    image.Type = Name.XObject
    image.Subtype = Name.Image
    image.Width, image.Height = 64, 48
    image.ColorSpace = Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = Name.DCTDecode
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    for n in range(pages):
        content = (
            f"BT /F1 18 Tf 72 720 Td (Evidence page {n + 1} visible text) Tj ET\n"
            f"BT 3 Tr /F1 12 Tf 72 700 Td (hidden ocr layer {n + 1}) Tj ET\n"
            "q 64 0 0 48 72 500 cm /Im0 Do Q\n"
        ).encode()
        page = pikepdf.Page(
            Dictionary(
                Type=Name.Page,
                MediaBox=Array([0, 0, 612, 792]),
                Contents=pdf.make_stream(content),
                Resources=Dictionary(Font=Dictionary(F1=font), XObject=Dictionary(Im0=image)),
            )
        )
        pdf.pages.append(page)
    first = pdf.pages[0].obj
    first.Metadata = pdf.make_stream(_xmp(marker("XmpPage")))
    first.PieceInfo = Dictionary(
        App=Dictionary(Private=String(marker("PieceInfo")), LastModified=String("D:2020"))
    )
    annot = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Text,
            Rect=Array([100, 100, 120, 120]),
            Contents=String("a note"),
            T=String(marker("AnnotAuthor")),
            M=String("D:20200101" + marker("AnnotDate")),
            AA=Dictionary(
                E=Dictionary(
                    S=Name.JavaScript, JS=String("app.alert('" + marker("JavaScript") + "')")
                )
            ),
        )
    )
    first.Annots = Array([annot])
    pdf.Root.OpenAction = Dictionary(
        S=Name.JavaScript, JS=String("app.alert('" + marker("OpenActionJS") + "')")
    )
    pdf.Root.Metadata = pdf.make_stream(_xmp(marker("XmpCreator")))
    pdf.docinfo["/Author"] = marker("InfoAuthor")
    pdf.docinfo["/Title"] = marker("InfoTitle")
    pdf.docinfo["/X-Custom"] = marker("InfoCustom")
    attached = exif_jpeg("Attach")
    spec = pikepdf.AttachedFileSpec(pdf, attached, filename=marker("AttachName") + ".jpg")
    pdf.attachments["photo.jpg"] = spec
    if incremental_old_value:
        pdf.docinfo["/Subject"] = marker("OldRevision")
    buf = io.BytesIO()
    pdf.save(buf, static_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = buf.getvalue()
    if incremental_old_value:
        data = _append_update_without_subject(data)
    return data


def _append_update_without_subject(data: bytes) -> bytes:
    """Append an incremental update (a new Info object without /Subject and
    a new xref section with /Prev), the way editors save: the earlier
    revision, with its marker, stays in the file."""
    import re

    with pikepdf.open(io.BytesIO(data)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    obj_pos = len(data)
    author = marker("InfoAuthor").encode()
    body = b"%d 0 obj\n<< /Title (updated) /Author (%s) >>\nendobj\n" % (size, author)
    xref_pos = obj_pos + len(body)
    xref = b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, obj_pos)
    ident = b"/ID [<31415926535897932384626433832795><31415926535897932384626433832795>]"
    trailer = b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d %s >>\n" % (
        size + 1,
        root,
        size,
        prev,
        ident,
    )
    return data + body + xref + trailer + b"startxref\n%d\n%%%%EOF\n" % xref_pos


def zip_bytes(members: dict[str, bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


DICOM_OPERATOR_MARKERS = [
    "Operator",
    "Performing",
    "Reading",
    "Referring",
    "Requesting",
    "Station",
    "RetrieveAE",
    "Serial",
    "Institution",
    "InstAddr",
    "Department",
    "SeqInstitution",
    "SeqStation",
    "Private",
    "OverlayText",
    "Accession",
    "Protocol",
    "ImplVersion",
    "MetaSourceAE",
    "PreambleHide",
    "ImageComment",
]
DICOM_PATIENT_MARKERS = ["PatientName", "PatientID", "OtherIDs"]
DICOM_KEPT = ["StudyDesc"]


def make_dicom(*, burned_in: bool = False) -> bytes:
    """A small CT (pydicom's CT_small test file) with a marker in every
    place the DICOM profile must clean, including inside sequences."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    m = marker
    ds.OperatorsName = m("Operator")
    ds.PerformingPhysicianName = m("Performing")
    ds.NameOfPhysiciansReadingStudy = m("Reading")
    ds.ReferringPhysicianName = m("Referring")
    ds.RequestingPhysician = m("Requesting")
    ds.StationName = m("Station")
    ds.RetrieveAETitle = m("RetrieveAE")[:16]
    ds.DeviceSerialNumber = m("Serial")
    ds.InstitutionName = m("Institution")
    ds.InstitutionAddress = m("InstAddr")
    ds.InstitutionalDepartmentName = m("Department")
    ds.AccessionNumber = m("Accession")[:16]
    ds.ProtocolName = m("Protocol")
    ds.ImageComments = m("ImageComment")
    ds.PatientName = m("PatientName")
    ds.PatientID = m("PatientID")
    ds.PatientBirthDate = "19700101"
    ds.OtherPatientIDs = m("OtherIDs")
    ds.StudyDescription = m("StudyDesc")
    ds.BodyPartExamined = "CHEST"
    ds.PatientAge = "042Y"
    ds.PatientSex = "F"
    ds.BurnedInAnnotation = "YES" if burned_in else "NO"
    equipment = Dataset()
    equipment.InstitutionName = m("SeqInstitution")
    equipment.StationName = m("SeqStation")
    equipment.Manufacturer = "ACME"
    ds.ContributingEquipmentSequence = Sequence([equipment])
    ds.add_new(0x00091001, "LO", m("Private"))
    block = ds.private_block(0x0011, "SMZ VENDOR", create=True)
    block.add_new(0x01, "LO", m("Private") + "2")
    ds.add_new(0x60000022, "LO", m("OverlayText"))  # OverlayDescription
    ds.add_new(0x60000010, "US", 4)
    ds.file_meta.ImplementationVersionName = m("ImplVersion")[:16]
    ds.file_meta.SourceApplicationEntityTitle = m("MetaSourceAE")[:16]
    ds.preamble = (m("PreambleHide").encode() * 10)[:128]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
