# ruff: noqa: E501, S608 - long literal XML (namespaces, content types, a mail-merge query) in test data
"""OOXML and ODF samples with a unique marker in every place the document
scrubbers must clean, built from code (python-docx, raw ZIP/XML, Pillow)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from PIL import Image, PngImagePlugin

from tests.scrub._docs_corpus import exif_jpeg, marker

m = marker
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

DOCX_MARKERS = [
    "CoreCreator",
    "CoreLastModBy",
    "CoreTitle",
    "CoreKeywords",
    "CoreDescription",
    "AppCompany",
    "AppManager",
    "CustomValue",
    "CustomXml",
    "CommentAuthor",
    "CommentInit",
    "InsAuthor",
    "DelAuthor",
    "TemplateUser",
    "MailQuery",
    "DocVarName",
    "DocVar",
    "People",
    "PeopleUserId",
    "Printer",
    "Orphan",
    "LinkUser",
    "DocxImgArtist",
    "DocxImgMake",
    "ThumbArtist",
]
DOCX_DATE = "2011-11-11T11:11:11Z"


def _replace(zf_members: dict[str, bytes], name: str, old: str, new: str) -> None:
    text = zf_members[name].decode("utf-8")
    if old not in text:
        raise AssertionError(f"corpus builder: {old!r} not in {name}")
    zf_members[name] = text.replace(old, new, 1).encode("utf-8")


def _rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if "mimetype" in members:  # ODF: first and stored, or it is not ODF
            zf.writestr("mimetype", members["mimetype"], compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != "mimetype":
                zf.writestr(name, data)
    return out.getvalue()


def make_docx() -> bytes:
    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.author = m("CoreCreator")
    props.last_modified_by = m("CoreLastModBy")
    props.title = m("CoreTitle")
    props.keywords = m("CoreKeywords")
    props.comments = m("CoreDescription")
    doc.add_paragraph("Evidence paragraph one")
    para = doc.add_paragraph("A commented sentence")
    doc.add_comment(
        para.runs, text="comment body kept", author=m("CommentAuthor"), initials=m("CommentInit")
    )
    doc.add_picture(io.BytesIO(exif_jpeg("DocxImg")))
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}

    tracked = (
        '<w:p w:rsidR="00AB12CD" w:rsidRDefault="00AB12CD" w14:paraId="1A2B3C4D" '
        'w14:textId="77777777"><w:r><w:t xml:space="preserve">Tracked: </w:t></w:r>'
        f'<w:ins w:id="101" w:author="{m("InsAuthor")}" w:date="{DOCX_DATE}">'
        "<w:r><w:t>inserted evidence</w:t></w:r></w:ins>"
        f'<w:del w:id="102" w:author="{m("DelAuthor")}" w:date="{DOCX_DATE}">'
        "<w:r><w:delText>deleted words</w:delText></w:r></w:del>"
        '<w:hyperlink r:id="rIdLink"><w:r><w:t> link</w:t></w:r></w:hyperlink></w:p>'
    )
    _replace(members, "word/document.xml", "<w:sectPr", tracked + "<w:sectPr")
    settings = members["word/settings.xml"].decode()
    settings = re.sub(
        r"<w:settings ([^>]*)>",
        lambda mo: (
            f'<w:settings {mo.group(1)} xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
            '<w:attachedTemplate r:id="rIdTpl"/>'
            '<w:mailMerge><w:mainDocumentType w:val="formLetters"/>'
            f'<w:query w:val="SELECT * FROM {m("MailQuery")}"/></w:mailMerge>'
            f'<w:docVars><w:docVar w:name="{m("DocVarName")}" w:val="{m("DocVar")}"/></w:docVars>'
            '<w:rsids><w:rsidRoot w:val="00AB12CD"/><w:rsid w:val="00AB12CD"/></w:rsids>'
            '<w15:docId w15:val="{11111111-2222-3333-4444-555555555555}"/>'
        ),
        settings,
        count=1,
    )
    if "xmlns:r=" not in settings.split(">", 2)[1]:
        settings = settings.replace("<w:settings ", f'<w:settings xmlns:r="{REL}" ', 1)
    members["word/settings.xml"] = settings.encode()
    members["word/_rels/settings.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdTpl" Type="{REL}/attachedTemplate" '
        f'Target="file:///C:/Users/{m("TemplateUser")}/AppData/Normal.dotm" '
        'TargetMode="External"/></Relationships>'
    ).encode()
    _replace(
        members,
        "word/_rels/document.xml.rels",
        "</Relationships>",
        '<Relationship Id="rIdPeople" '
        'Type="http://schemas.microsoft.com/office/2011/relationships/people" Target="people.xml"/>'
        f'<Relationship Id="rIdPrn" Type="{REL}/printerSettings" '
        'Target="printerSettings/printerSettings1.bin"/>'
        f'<Relationship Id="rIdLink" Type="{REL}/hyperlink" '
        f'Target="file:///C:/Users/{m("LinkUser")}/secret.docx" TargetMode="External"/>'
        "</Relationships>",
    )
    members["word/people.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
        f'<w15:person w15:author="{m("People")}"><w15:presenceInfo w15:providerId="AD" '
        f'w15:userId="{m("PeopleUserId")}"/></w15:person></w15:people>'
    ).encode()
    members["word/printerSettings/printerSettings1.bin"] = (
        m("Printer").encode("utf-16-le") + b"\x00" * 64
    )
    members["word/orphan.xml"] = f"<orphan>{m('Orphan')}</orphan>".encode()
    _replace(
        members,
        "[Content_Types].xml",
        "</Types>",
        '<Override PartName="/word/people.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"/>'
        '<Default Extension="bin" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.printerSettings"/>'
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        "</Types>",
    )
    _replace(
        members,
        "docProps/app.xml",
        "</Properties>",
        f"<Company>{m('AppCompany')}</Company><Manager>{m('AppManager')}</Manager></Properties>",
    )
    members["docProps/custom.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client">'
        f"<vt:lpwstr>{m('CustomValue')}</vt:lpwstr></property></Properties>"
    ).encode()
    _replace(
        members,
        "_rels/.rels",
        "</Relationships>",
        f'<Relationship Id="rIdCustom" Type="{REL}/custom-properties" '
        'Target="docProps/custom.xml"/></Relationships>',
    )
    for name in members:
        if re.fullmatch(r"customXml/item\d+\.xml", name):
            members[name] = f"<root>{m('CustomXml')}</root>".encode()
    members["docProps/thumbnail.jpeg"] = exif_jpeg("Thumb")
    return _rezip(members)


XLSX_MARKERS = [
    "XlsCreator",
    "AbsPath",
    "XlsCommentAuthor",
    "XlsPrinter",
    "XlsFileSharing",
    "XlsDbServer",
    "XlsOdcUser",
    "XlsTextUser",
]


def make_xlsx() -> bytes:
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/comments1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/xl/connections.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"/>'
        "</Types>"
    )
    connections = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<connection id="1" name="Query" type="1" refreshedVersion="6" odcFile="C:\\Users\\{m("XlsOdcUser")}\\q.odc">'
        f'<dbPr connection="Provider=SQLOLEDB;Data Source={m("XlsDbServer")};User ID=sa" command="SELECT 1"/>'
        "</connection>"
        '<connection id="2" name="Text" type="6" refreshedVersion="6">'
        f'<textPr sourceFile="C:\\Users\\{m("XlsTextUser")}\\data.csv"/></connection>'
        "</connections>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{m('XlsCreator')}</dc:creator></cp:coreProperties>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{REL}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" '
        'mc:Ignorable="x15ac">'
        f'<fileSharing userName="{m("XlsFileSharing")}"/>'
        '<mc:AlternateContent><mc:Choice Requires="x15">'
        f'<x15ac:absPath url="C:\\Users\\{m("AbsPath")}\\Documents\\"/>'
        "</mc:Choice></mc:AlternateContent>"
        '<sheets><sheet name="Evidence" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/connections" Target="connections.xml"/>'
        "</Relationships>"
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{REL}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Proof</t></is></c>'
        '<c r="B1"><v>42</v></c></row></sheetData>'
        '<pageSetup paperSize="9" r:id="rId2"/></worksheet>'
    )
    sheet_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/comments" Target="../comments1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/printerSettings" '
        'Target="../printerSettings/printerSettings1.bin"/>'
        "</Relationships>"
    )
    comments = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<authors><author>{m('XlsCommentAuthor')}</author></authors>"
        '<commentList><comment ref="B1" authorId="0"><text><r><t>cell note</t></r></text>'
        "</comment></commentList></comments>"
    )
    return _rezip(
        {
            "[Content_Types].xml": ct.encode(),
            "_rels/.rels": rels.encode(),
            "docProps/core.xml": core.encode(),
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": wb_rels.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
            "xl/worksheets/_rels/sheet1.xml.rels": sheet_rels.encode(),
            "xl/comments1.xml": comments.encode(),
            "xl/connections.xml": connections.encode(),
            "xl/printerSettings/printerSettings1.bin": m("XlsPrinter").encode("utf-16-le"),
        }
    )


# --- ODF --------------------------------------------------------------------

ODF_MARKERS = [
    "OdfInitialCreator",
    "OdfCreator",
    "OdfPrintedBy",
    "OdfUserDefined",
    "OdfGenerator",
    "OdfTemplate",
    "OdfPrinterName",
    "OdfPrinterSetup",
    "OdfThumb",
    "OdfVersionList",
    "OdfVersion",
    "OdfSignature",
    "OdfChangeAuthor",
    "OdfAnnotAuthor",
    "OdfAnnotInit",
    "OdfOrphan",
    "OdfImgArtist",
    "OdfImgMake",
]
ODF_DATE = "2011-11-11T11:11:11"
_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" '
    'xmlns:officeooo="http://openoffice.org/2009/office" office:version="1.3"'
)
_MIMES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def _odf_body(kind: str) -> str:
    annotation = (
        f"<office:annotation><dc:creator>{m('OdfAnnotAuthor')}</dc:creator>"
        f"<dc:date>{ODF_DATE}</dc:date>"
        f"<meta:creator-initials>{m('OdfAnnotInit')}</meta:creator-initials>"
        "<text:p>note body kept</text:p></office:annotation>"
    )
    image = (
        '<draw:frame draw:name="img" svg:width="2cm" svg:height="1.5cm">'
        '<draw:image xlink:href="Pictures/photo.jpg" xlink:type="simple"/></draw:frame>'
    )
    if kind == "odt":
        return (
            "<office:text><text:tracked-changes>"
            '<text:changed-region text:id="ct1"><text:insertion><office:change-info>'
            f"<dc:creator>{m('OdfChangeAuthor')}</dc:creator><dc:date>{ODF_DATE}</dc:date>"
            "</office:change-info></text:insertion></text:changed-region>"
            "</text:tracked-changes>"
            '<text:p text:style-name="P1">Evidence paragraph '
            '<text:change-start text:change-id="ct1"/>inserted words'
            '<text:change-end text:change-id="ct1"/></text:p>'
            f"<text:p>Commented{annotation}</text:p>"
            f"<text:p>{image}</text:p>"
            '<text:p><draw:frame draw:name="linked" svg:width="1cm" svg:height="1cm">'
            f'<draw:image xlink:href="file:///home/{m("OdfLinkPath")}/pic.png" xlink:type="simple"/>'
            "</draw:frame></text:p></office:text>"
        )
    if kind == "ods":
        return (
            '<office:spreadsheet><table:table table:name="Evidence"><table:table-row>'
            f"<table:table-cell><text:p>Evidence cell</text:p>{annotation}</table:table-cell>"
            "</table:table-row></table:table></office:spreadsheet>"
        )
    return (
        '<office:presentation><draw:page draw:name="page1">'
        '<draw:frame svg:width="20cm" svg:height="3cm" svg:x="1cm" svg:y="1cm">'
        "<draw:text-box><text:p>Evidence slide text</text:p></draw:text-box></draw:frame>"
        f"{image}</draw:page></office:presentation>"
    )


def make_odf(kind: str = "odt") -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-content {_NS}><office:automatic-styles>"
        '<style:style style:name="P1" style:family="paragraph">'
        '<style:text-properties officeooo:rsid="0012ab34" officeooo:paragraph-rsid="0012ab34"/>'
        "</style:style></office:automatic-styles>"
        f"<office:body>{_odf_body(kind)}</office:body></office:document-content>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-meta {_NS}><office:meta>"
        f"<meta:initial-creator>{m('OdfInitialCreator')}</meta:initial-creator>"
        f"<dc:creator>{m('OdfCreator')}</dc:creator>"
        f"<meta:printed-by>{m('OdfPrintedBy')}</meta:printed-by>"
        f"<meta:generator>{m('OdfGenerator')}</meta:generator>"
        f'<meta:template xlink:href="file:///home/{m("OdfTemplate")}/t.ott"/>'
        f'<meta:user-defined meta:name="Client">{m("OdfUserDefined")}</meta:user-defined>'
        "</office:meta></office:document-meta>"
    )
    import base64

    settings = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-settings {_NS}><office:settings>"
        '<config:config-item-set config:name="ooo:configuration-settings">'
        f'<config:config-item config:name="PrinterName" config:type="string">{m("OdfPrinterName")}'
        "</config:config-item>"
        '<config:config-item config:name="PrinterSetup" config:type="base64Binary">'
        f"{base64.b64encode(m('OdfPrinterSetup').encode()).decode()}</config:config-item>"
        '<config:config-item config:name="AddParaTableSpacing" config:type="boolean">true'
        "</config:config-item></config:config-item-set></office:settings>"
        "</office:document-settings>"
    )
    styles = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-styles {_NS}><office:styles/></office:document-styles>"
    )
    thumb = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", m("OdfThumb"))
    Image.new("RGB", (16, 16), (1, 2, 3)).save(thumb, "PNG", pnginfo=info)
    files = {
        "content.xml": ("text/xml", content.encode()),
        "styles.xml": ("text/xml", styles.encode()),
        "meta.xml": ("text/xml", meta.encode()),
        "settings.xml": ("text/xml", settings.encode()),
        "Thumbnails/thumbnail.png": ("image/png", thumb.getvalue()),
        "Pictures/photo.jpg": ("image/jpeg", exif_jpeg("OdfImg")),
        "VersionList.xml": ("text/xml", f"<v>{m('OdfVersionList')}</v>".encode()),
        "Versions/Version1": ("", m("OdfVersion").encode()),
        "META-INF/documentsignatures.xml": ("", f"<s>{m('OdfSignature')}</s>".encode()),
    }
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_MIMES[kind]}"/>'
        + "".join(
            f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="{mt}"/>'
            for name, (mt, _) in files.items()
            if not name.startswith("META-INF")
        )
        + "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), _MIMES[kind], compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest)
        for name, (_, data) in files.items():
            zf.writestr(name, data)
        zf.writestr("orphan.txt", m("OdfOrphan"))
    return out.getvalue()


# --- hostile ------------------------------------------------------------------


def _raw_zip(entries: list[tuple[str, bytes, int, int, int, int]]) -> bytes:
    """A ZIP written by hand: (name, stored bytes, method, crc, csize, usize).
    Lets a test declare sizes that differ from the data (lying headers)."""
    import struct

    out = bytearray()
    central = bytearray()
    for name, data, method, crc, csize, usize in entries:
        raw = name.encode()
        offset = len(out)
        out += (
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                method,
                0,
                0x21,
                crc,
                csize,
                usize,
                len(raw),
                0,
            )
            + raw
            + data
        )
        central += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                csize,
                usize,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), cd_offset, 0
    )
    return bytes(out)


def _stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int, int]:
    import zlib

    return (name, data, 0, zlib.crc32(data), len(data), len(data))


def zip_bomb_docx(inflated: int = 1 << 30, *, lie: bool = False) -> bytes:
    """A DOCX-shaped ZIP whose word/document.xml inflates to `inflated`
    bytes of zeros from about 1 MB, built in well under a second: one
    full-flushed deflate block of 1 MiB zeros, repeated (each block is
    independent after a full flush). With `lie`, the headers claim 1 KiB."""
    import zlib

    chunk = 1 << 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(b"\x00" * chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush()
    count = inflated // chunk
    data = piece * count + tail
    crc = 0
    zeros = b"\x00" * chunk
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    usize = 1024 if lie else count * chunk
    return _raw_zip(
        [
            _stored(
                "[Content_Types].xml",
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            ),
            _stored(
                "_rels/.rels",
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
            ),
            ("word/document.xml", data, 8, crc, len(data), usize),
        ]
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def with_member(package: bytes, name: str, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    return _rezip(members)


PPTX_MARKERS = ["PptCreator", "PptLastModBy", "PptCmAuthor", "PptCmInit", "PptCompany"]
PPTX_DATE = "2011-11-11T11:11:11.000"


def make_pptx(tmp: Path, soffice: str) -> bytes:
    """A PPTX written by LibreOffice (from our cleaned ODP sample: hand
    writing a valid PresentationML package is hundreds of lines), then with
    markers planted in its core properties and a legacy comment."""
    import subprocess

    from scrub.api import scrub_bytes

    odp = scrub_bytes(make_odf("odp")).data
    if odp is None:
        raise AssertionError("corpus builder: the ODP sample was not cleaned")
    src = tmp / "deck.odp"
    src.write_bytes(odp)
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp}/lo_profile", "--headless",
         "--convert-to", "pptx", "--outdir", str(tmp), str(src)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    with zipfile.ZipFile(tmp / "deck.pptx") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    core = members["docProps/core.xml"].decode()
    core = re.sub(r"<dc:creator>[^<]*</dc:creator>|<dc:creator/>",
                  f"<dc:creator>{m('PptCreator')}</dc:creator>", core)  # fmt: skip
    core = re.sub(r"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>|<cp:lastModifiedBy/>",
                  f"<cp:lastModifiedBy>{m('PptLastModBy')}</cp:lastModifiedBy>", core)  # fmt: skip
    members["docProps/core.xml"] = core.encode()
    if "docProps/app.xml" in members:
        _replace(members, "docProps/app.xml", "</Properties>",
                 f"<Company>{m('PptCompany')}</Company></Properties>")  # fmt: skip
    p_ns = "http://schemas.openxmlformats.org/presentationml/2006/main"
    members["ppt/commentAuthors.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<p:cmAuthorLst xmlns:p="{p_ns}"><p:cmAuthor id="1" name="{m("PptCmAuthor")}" '
        f'initials="{m("PptCmInit")}" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
    ).encode()
    members["ppt/comments/comment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<p:cmLst xmlns:p="{p_ns}"><p:cm authorId="1" dt="{PPTX_DATE}" idx="1">'
        '<p:pos x="10" y="10"/><p:text>slide note kept</p:text></p:cm></p:cmLst>'
    ).encode()
    _replace(members, "ppt/_rels/presentation.xml.rels", "</Relationships>",
             f'<Relationship Id="rIdCA" Type="{REL}/commentAuthors" '
             'Target="commentAuthors.xml"/></Relationships>')  # fmt: skip
    _replace(members, "ppt/slides/_rels/slide1.xml.rels", "</Relationships>",
             f'<Relationship Id="rIdCm" Type="{REL}/comments" '
             'Target="../comments/comment1.xml"/></Relationships>')  # fmt: skip
    _replace(members, "[Content_Types].xml", "</Types>",
             '<Override PartName="/ppt/commentAuthors.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml"/>'
             '<Override PartName="/ppt/comments/comment1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.comments+xml"/>'
             "</Types>")  # fmt: skip
    return _rezip(members)
