"""What to remove inside ODF XML members (content.xml, styles.xml, settings.xml).

- office:change-info (tracked changes): dc:creator becomes "Author N";
  dc:date, which the schema requires, becomes a fixed neutral date.
- office:annotation (comments): dc:creator becomes "Author N"; dc:date and
  the author's initials are removed (optional in the schema).
- officeooo:rsid / paragraph-rsid: revision-session ids that link a
  document to others edited in the same session.
- settings.xml: the printer name and its driver setup blob, and the
  mail-merge data source (a database name or path).

Must never: drop an element that carries visible content, or report a
value (only field names).
"""

from __future__ import annotations

from scrub.base import Report
from scrub.formats import _xml
from scrub.formats._ooxml_policy import Labels

OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META_NS = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONFIG_NS = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
OFFICEOOO_NS = "http://openoffice.org/2009/office"
LOEXT_NS = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"

NEUTRAL_DATE = "1970-01-01T00:00:00"
_PRINTER_SETTINGS = frozenset(
    {
        "PrinterName",
        "PrinterSetup",
        "PrintFaxName",
        "CurrentDatabaseDataSource",
        "CurrentDatabaseCommand",
        "CurrentDatabaseCommandType",
    }
)
_DROP_ATTRS = frozenset(
    {
        (OFFICEOOO_NS, "rsid"),
        (OFFICEOOO_NS, "paragraph-rsid"),
    }
)
_ANNOTATION_DROP = frozenset(
    {(DC_NS, "date"), (META_NS, "creator-initials"), (LOEXT_NS, "sender-initials")}
)


class ContentPolicy:
    def __init__(self, place: str, report: Report, labels: Labels) -> None:
        self.place = place
        self.report = report
        self.labels = labels

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        parent = path[-1] if path else ("", "")
        kept = [a for a in attrs if a.name not in _DROP_ATTRS]
        kept = _xml.neutral_paths(kept, self.report.remove, self.place, name[1], href_prefix="../")
        if len(kept) != len(attrs):
            for a in attrs:
                if a.name in _DROP_ATTRS:
                    self.report.remove(self.place, f"{name[1]}@{a.name[1]}")
        if parent == (OFFICE_NS, "change-info"):
            if name == (DC_NS, "creator"):
                self.report.remove(self.place, "change-info/creator")
                return _xml.Action(attrs=kept, transform=self.labels)
            if name == (DC_NS, "date"):
                self.report.remove(self.place, "change-info/date")
                return _xml.Action(attrs=kept, text=NEUTRAL_DATE)
        if parent == (OFFICE_NS, "annotation"):
            if name == (DC_NS, "creator"):
                self.report.remove(self.place, "annotation/creator")
                return _xml.Action(attrs=kept, transform=self.labels)
            if name in _ANNOTATION_DROP:
                self.report.remove(self.place, f"annotation/{name[1]}")
                return _xml.Action(drop=True)
        return _xml.Action(attrs=kept)


class SettingsPolicy:
    def __init__(self, place: str, report: Report) -> None:
        self.place = place
        self.report = report

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        if name == (CONFIG_NS, "config-item"):
            item = next((a.value for a in attrs if a.name == (CONFIG_NS, "name")), "")
            if item in _PRINTER_SETTINGS:
                self.report.remove(self.place, item)
                return _xml.Action(drop=True)
        return _xml.Action(attrs=attrs)


def meta_fields(data: bytes) -> list[str]:
    """Names of the fields a dropped meta.xml held (never their values)."""
    names: list[str] = []

    def visit(name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]) -> None:
        if len(path) >= 2 and path[-1] == (OFFICE_NS, "meta"):
            if name == (META_NS, "user-defined"):
                field = next((a.value for a in attrs if a.name == (META_NS, "name")), "")
                names.append(f"user-defined:{field[:64]}")
            elif name[1] not in names:
                names.append(name[1])

    try:
        _xml.collect(data, visit)
    except Exception:  # a malformed dropped part is dropped all the same
        return []
    return names
