"""DOCX, XLSX and PPTX: rebuild the package from an allowlist of parts.

The package is walked from its root relationships: only parts reachable
through relationships we keep are copied (orphan parts are dropped). Parts
that exist to describe the author or the machine are dropped with their
relationships and content-type overrides: document properties
(core/app/custom), thumbnails, customXml, people, printer settings (a
DEVMODE naming the printer), macros, sensitivity labels. Every XML part is
rewritten through `_xml` with the policy in `_ooxml_policy`; media and
embedded documents go back through the scrubbers (`_embedded`). The ZIP is
written with fixed times and no extra fields (`_zip`).

Must never: copy a part it has not classified, keep a relationship to a
dropped part (the document would not open), or copy a local file path from
an external relationship.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote

from scrub.base import Profile, Report, ScrubError
from scrub.formats import _xml, _zip
from scrub.formats._embedded import clean_embedded
from scrub.formats._family import FamilyScrubber
from scrub.formats._metafile import blank_emf_description, is_metafile
from scrub.formats._ooxml_policy import DROP_REL_TYPES, Labels, OoxmlPolicy, part_fields
from scrub.formats._paths import basename, is_local_path
from scrub.formats._svg import SvgPolicy

CONTENT_TYPES = "[Content_Types].xml"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Parts dropped by path whatever relationship reaches them: they describe
# the author or machine, never the content.
_DROP_PREFIXES = ("docProps/", "customXml/", "docMetadata/", "[trash]/")
_DROP_BASENAMES = frozenset({"people.xml", "vbaProject.bin", "vbaData.xml"})
_DROP_DIRS = frozenset({"printerSettings", "customData", "webextensions", "revisions"})
# Binary parts kept as they are: fonts carry no author data; EMF/WMF hold
# vector drawings whose description string is a residual risk we report.
_FONT_TYPES = ("font", "obfuscatedFont")


@dataclass(frozen=True)
class _Rel:
    rid: str
    type: str
    target: str
    external: bool


def _rels_name(part: str) -> str:
    if part == "":
        return "_rels/.rels"
    head, tail = posixpath.split(part)
    return posixpath.join(head, "_rels", tail + ".rels")


def _resolve(source_part: str, target: str) -> str:
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _parse_rels(data: bytes) -> list[_Rel]:
    rels: list[_Rel] = []

    def visit(name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]) -> None:
        if name == (_REL_NS, "Relationship"):
            a = {x.name[1]: x.value for x in attrs if x.name[0] == ""}
            rels.append(
                _Rel(
                    a.get("Id", ""),
                    a.get("Type", ""),
                    a.get("Target", ""),
                    a.get("TargetMode", "") == "External",
                )
            )

    _xml.collect(data, visit)
    return rels


def _is_dropped_path(part: str) -> bool:
    if part.startswith(_DROP_PREFIXES):
        return True
    segments = part.split("/")
    return segments[-1] in _DROP_BASENAMES or any(s in _DROP_DIRS for s in segments[:-1])


class _RelsPolicy:
    """Keep only relationships whose decision was "keep"; neutralise paths."""

    def __init__(self, drop_ids: set[str], new_targets: dict[str, str]) -> None:
        self.drop_ids = drop_ids
        self.new_targets = new_targets

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        if name == (_REL_NS, "Relationship"):
            rid = next((a.value for a in attrs if a.name == ("", "Id")), "")
            if rid in self.drop_ids:
                return _xml.Action(drop=True)
            if rid in self.new_targets:
                attrs = [
                    _xml.Attr(a.raw, a.name, self.new_targets[rid])
                    if a.name == ("", "Target")
                    else a
                    for a in attrs
                ]
        return _xml.Action(attrs=attrs)


class _ContentTypesPolicy:
    def __init__(self, kept_lower: set[str]) -> None:
        self.kept_lower = kept_lower

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        if name == (_CT_NS, "Override"):
            part = next((a.value for a in attrs if a.name == ("", "PartName")), "")
            if unquote(part).lstrip("/").lower() not in self.kept_lower:
                return _xml.Action(drop=True)
        return _xml.Action(attrs=attrs)


def _content_types(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}

    def visit(name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]) -> None:
        a = {x.name[1]: x.value for x in attrs if x.name[0] == ""}
        if name == (_CT_NS, "Default"):
            defaults[a.get("Extension", "").lower()] = a.get("ContentType", "")
        elif name == (_CT_NS, "Override"):
            overrides[unquote(a.get("PartName", "")).lstrip("/").lower()] = a.get("ContentType", "")

    _xml.collect(data, visit)
    return defaults, overrides


class _Job:
    """One cleaning run; holds the type it was handed (no shared state)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.kind = type_name.upper()

    def run(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        members = _zip.read_members(untrusted_data, profile.limits)
        by_name = {m.name: m.data for m in members}
        lower = {name.lower(): name for name in by_name}
        if CONTENT_TYPES not in by_name or "_rels/.rels" not in by_name:
            raise ScrubError("not an Office Open XML package (no content types or root rels)")
        defaults, overrides = _content_types(by_name[CONTENT_TYPES])
        package = f"{self.kind}:package"

        # 1. Walk relationships from the package root; decide each one.
        kept: dict[str, None] = {}  # ordered set of kept part names
        rels_edits: dict[str, tuple[set[str], dict[str, str]]] = {}
        queue = [""]
        visited = {""}
        while queue:
            source = queue.pop(0)
            rels_name = _rels_name(source)
            if rels_name.lower() not in lower:
                continue
            rels_name = lower[rels_name.lower()]
            drop_ids: set[str] = set()
            new_targets: dict[str, str] = {}
            for rel in _parse_rels(by_name[rels_name]):
                rel_kind = rel.type.rstrip("/").rsplit("/", 1)[-1]
                if rel.external:
                    if rel_kind in DROP_REL_TYPES:
                        drop_ids.add(rel.rid)
                        report.remove(f"{self.kind}:{rels_name}", f"{rel_kind} (external)")
                    elif is_local_path(rel.target) or rel.target.startswith("/"):
                        new_targets[rel.rid] = basename(rel.target)
                        report.remove(f"{self.kind}:{rels_name}", "Target (local file path)")
                    continue
                target = _resolve(source, rel.target)
                actual = lower.get(target.lower())
                if rel_kind in DROP_REL_TYPES or actual is None or _is_dropped_path(actual):
                    drop_ids.add(rel.rid)
                    if actual is not None:
                        self._report_dropped(actual, by_name[actual], report)
                    continue
                if actual not in visited:
                    visited.add(actual)
                    kept[actual] = None
                    queue.append(actual)
            rels_edits[rels_name] = (drop_ids, new_targets)

        for name, data in by_name.items():
            if name != CONTENT_TYPES and name not in kept and name not in rels_edits:
                if not _is_dropped_path(name) and not name.endswith(".rels"):
                    report.remove(package, f"{name} (unreferenced part)")
                elif _is_dropped_path(name) and name not in visited:
                    self._report_dropped(name, data, report)

        # 2. Rebuild every kept part.
        labels = Labels()
        out: dict[str, bytes] = {}
        for rels_name, (drop_ids, new_targets) in rels_edits.items():
            out[rels_name] = _xml.rewrite(by_name[rels_name], _RelsPolicy(drop_ids, new_targets))
        for part in kept:
            ctype = overrides.get(part.lower()) or defaults.get(
                posixpath.splitext(part)[1].lstrip(".").lower(), ""
            )
            out[part] = self._clean_part(
                part=part,
                ctype=ctype,
                data=by_name[part],
                profile=profile,
                report=report,
                labels=labels,
            )
        kept_lower = {n.lower() for n in out}
        out_ct = _xml.rewrite(by_name[CONTENT_TYPES], _ContentTypesPolicy(kept_lower))
        if labels.count:
            report.kept.append(
                f"{self.kind}: tracked changes and comments kept; their authors became "
                "neutral labels (Author 1, Author 2, ...) and their dates were removed"
            )
        report.residual_risks.append(
            "visible document text, comments and tracked-change content can identify the author"
        )
        ordered = [_zip.Member(CONTENT_TYPES, out_ct)]
        ordered += [_zip.Member(n, out[n]) for n in sorted(out)]
        return _zip.write_members(ordered)

    def _report_dropped(self, part: str, data: bytes, report: Report) -> None:
        place = f"{self.kind}:{part}"
        fields = part_fields(part, data)
        if fields is None:
            report.remove(f"{self.kind}:package", part)
        elif fields:
            for f in fields:
                report.remove(place, f)
        else:
            report.remove(f"{self.kind}:package", part)

    def _clean_part(
        self,
        *,
        part: str,
        ctype: str,
        data: bytes,
        profile: Profile,
        report: Report,
        labels: Labels,
    ) -> bytes:
        ext = posixpath.splitext(part)[1].lower()
        if ctype == "image/svg+xml" or ext == ".svg":
            place = f"{self.kind}:{part}"
            return _xml.rewrite(data, SvgPolicy(report.remove, place))
        if ctype.endswith("xml") or ext in (".xml", ".vml", ".rels"):
            return _xml.rewrite(data, OoxmlPolicy(f"{self.kind}:{part}", report, labels))
        if any(ctype.endswith(t) for t in _FONT_TYPES):
            return data
        detected, cleaned = clean_embedded(data, profile, report, f"{self.kind}:{part}")
        # "text" is clean only when it is plain text: an RTF or HTML chunk
        # (altChunk) also sniffs as text but carries its own author fields.
        plain = ctype.startswith(("text/plain", "text/csv")) or ext in (".txt", ".csv")
        if cleaned is not None and (detected != "text" or plain):
            return cleaned
        if is_metafile(data):
            blanked, changed = blank_emf_description(data)
            if changed:
                report.remove(f"{self.kind}:{part}", "EMF description")
            note = "EMF/WMF drawings are kept; comment records inside them are not inspected"
            if note not in report.residual_risks:
                report.residual_risks.append(note)
            return blanked
        raise ScrubError(
            f"the document embeds a part ({detected}) that cannot be cleaned; "
            "it was not cleaned as a whole"
        )


_TYPES = frozenset({"docx", "xlsx", "pptx"})
DOCX = FamilyScrubber("docx", _TYPES, _Job)
XLSX = FamilyScrubber("xlsx", _TYPES, _Job)
PPTX = FamilyScrubber("pptx", _TYPES, _Job)
SCRUBBERS = (DOCX, XLSX, PPTX)
SCRUBBER = DOCX
