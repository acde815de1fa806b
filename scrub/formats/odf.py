"""ODT, ODS and ODP: rebuild the package from an allowlist of members.

Only members listed in META-INF/manifest.xml are candidates (orphans are
dropped). Dropped: meta.xml in every (sub)document (author, dates, editing
time, generator, template path, printed-by), Thumbnails/ (a rendering of
the first page as last saved, which may differ from the content),
VersionList.xml and Versions/ (earlier versions, each with its author),
signatures (the signer's certificate), macros, UI configuration, layout
caches and manifest.rdf. content.xml/styles.xml are rewritten by
`_odf_policy` (tracked-change and annotation authors become "Author N",
their dates are neutralised, revision-session ids removed); settings.xml
loses printer and data-source settings. Pictures go back through the
scrubbers. `mimetype` is written first and stored, as ODF requires.

Must never: copy a member that the manifest does not list, keep a manifest
entry for a dropped member, or clean an encrypted document.
"""

from __future__ import annotations

import posixpath

from scrub.base import Profile, Report, ScrubError
from scrub.formats import _xml, _zip
from scrub.formats._embedded import clean_embedded
from scrub.formats._family import FamilyScrubber
from scrub.formats._odf_policy import (
    MANIFEST_NS,
    ContentPolicy,
    SettingsPolicy,
    meta_fields,
)
from scrub.formats._ooxml_policy import Labels
from scrub.formats._svg import SvgPolicy

MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
MANIFEST = "META-INF/manifest.xml"
_DROP_BASENAMES = frozenset({"meta.xml", "manifest.rdf", "VersionList.xml", "layout-cache"})
_DROP_PREFIXES = (
    "Thumbnails/",
    "Versions/",
    "Basic/",
    "Scripts/",
    "Configurations2/",
    "META-INF/documentsignatures.xml",
    "META-INF/macrosignatures.xml",
)
_XML_BASENAMES = frozenset({"content.xml", "styles.xml"})


def _dropped(path: str) -> bool:
    return path.startswith(_DROP_PREFIXES) or posixpath.basename(path) in _DROP_BASENAMES


class _ManifestPolicy:
    def __init__(self, keep: set[str]) -> None:
        self.keep = keep

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        if name == (MANIFEST_NS, "file-entry"):
            full = next((a.value for a in attrs if a.name == (MANIFEST_NS, "full-path")), "")
            if full != "/" and not full.endswith("/") and full not in self.keep:
                return _xml.Action(drop=True)
            if (
                full.endswith("/")
                and full != "/"
                and not any(k.startswith(full) for k in self.keep)
            ):
                return _xml.Action(drop=True)
        return _xml.Action(attrs=attrs)


def _manifest_entries(data: bytes) -> list[str]:
    entries: list[str] = []

    def visit(name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]) -> None:
        if name == (MANIFEST_NS, "encryption-data"):
            raise ScrubError("the document is encrypted; it cannot be cleaned")
        if name == (MANIFEST_NS, "file-entry"):
            full = next((a.value for a in attrs if a.name == (MANIFEST_NS, "full-path")), "")
            entries.append(full)

    _xml.collect(data, visit)
    return entries


class _Job:
    """One cleaning run; holds the type it was handed (no shared state)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.kind = type_name.upper()

    def run(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        members = _zip.read_members(untrusted_data, profile.limits)
        by_name = {m.name: m.data for m in members}
        mimetype = MIMETYPES[self.type_name]
        if by_name.get("mimetype", b"").strip() != mimetype.encode():
            raise ScrubError(f"not an OpenDocument {self.kind} package (mimetype differs)")
        if MANIFEST not in by_name:
            raise ScrubError("OpenDocument package has no manifest")
        listed = set(_manifest_entries(by_name[MANIFEST]))
        labels = Labels()
        out: dict[str, bytes] = {}
        for name, data in by_name.items():
            if name in ("mimetype", MANIFEST):
                continue
            if _dropped(name):
                self._report_dropped(name, data, report)
                continue
            if name not in listed:
                report.remove(f"{self.kind}:package", f"{name} (not in manifest)")
                continue
            out[name] = self._clean_member(name, data, profile, report, labels)
        out[MANIFEST] = _xml.rewrite(by_name[MANIFEST], _ManifestPolicy(set(out)))
        if labels.count:
            report.kept.append(
                f"{self.kind}: tracked changes and comments kept; their authors became "
                "neutral labels (Author 1, Author 2, ...) and their dates were neutralised"
            )
        report.residual_risks.append(
            "visible document text, comments and tracked-change content can identify the author"
        )
        ordered = [_zip.Member("mimetype", mimetype.encode())]
        ordered += [_zip.Member(n, out[n]) for n in sorted(out)]
        return _zip.write_members(ordered, stored=frozenset({"mimetype"}))

    def _report_dropped(self, name: str, data: bytes, report: Report) -> None:
        if posixpath.basename(name) == "meta.xml":
            fields = meta_fields(data)
            for f in fields:
                report.remove(f"{self.kind}:{name}", f)
            if not fields:
                report.remove(f"{self.kind}:package", name)
        else:
            report.remove(f"{self.kind}:package", name)

    def _clean_member(
        self, name: str, data: bytes, profile: Profile, report: Report, labels: Labels
    ) -> bytes:
        place = f"{self.kind}:{name}"
        base = posixpath.basename(name)
        if base in _XML_BASENAMES:
            return _xml.rewrite(data, ContentPolicy(place, report, labels))
        if base == "settings.xml":
            return _xml.rewrite(data, SettingsPolicy(place, report))
        if name.lower().endswith(".svg"):
            return _xml.rewrite(data, SvgPolicy(report.remove, place))
        if name.endswith(".xml") or name.endswith(".rdf"):
            # Other XML (e.g. a formula's content in an embedded object)
            # still goes through the safe parser and the content rules.
            return _xml.rewrite(data, ContentPolicy(place, report, labels))
        if name.startswith("ObjectReplacements/"):
            note = "ODF object replacement images are kept as they are (vector metafiles)"
            if note not in report.residual_risks:
                report.residual_risks.append(note)
            return data
        detected, cleaned = clean_embedded(data, profile, report, place)
        if cleaned is not None:
            return cleaned
        raise ScrubError(
            f"the document embeds a member ({detected}) that cannot be cleaned; "
            "it was not cleaned as a whole"
        )


_TYPES = frozenset({"odt", "ods", "odp"})
ODT = FamilyScrubber("odt", _TYPES, _Job)
ODS = FamilyScrubber("ods", _TYPES, _Job)
ODP = FamilyScrubber("odp", _TYPES, _Job)
SCRUBBERS = (ODT, ODS, ODP)
SCRUBBER = ODT
