"""What to remove inside OOXML parts (Word, Excel, PowerPoint XML).

Each entry names a field that identifies a person, a machine or an editing
session and is not needed to show the content:
- revision-session ids (rsid*, w14:paraId/textId, w15:docId, xr:uid):
  they link a document to other documents edited in the same session;
- tracked-change and comment authors (relabelled "Author N" so the change
  itself and who-did-which stay readable) and their dates;
- template and mail-merge paths, document variables, the workbook's
  absolute path (x15ac:absPath), shared-workbook user names, password
  hashes of editing restrictions (crackable);
- PowerPoint/Excel comment author lists and person records (user ids).

Must never: drop an element that carries visible content (text, tables,
drawings), or report a removed value (only its name).
"""

from __future__ import annotations

from scrub.base import Report
from scrub.formats import _xml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
W16CEX = "http://schemas.microsoft.com/office/word/2018/wordml/cex"
W16DU = "http://schemas.microsoft.com/office/word/2023/wordml/word16du"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
S_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
X15AC = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
XR_UIDS = (
    "http://schemas.microsoft.com/office/spreadsheetml/2014/revision",
    "http://schemas.microsoft.com/office/spreadsheetml/2016/revision3",
    "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2",
)
TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
P_STRICT = "http://purl.oclc.org/ooxml/presentationml/main"
P188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"

# Relationship types (last URI segment) whose target is dropped.
DROP_REL_TYPES = frozenset(
    {
        "core-properties",
        "extended-properties",
        "custom-properties",
        "thumbnail",
        "customXml",
        "customXmlProps",
        "people",
        "printerSettings",
        "vbaProject",
        "wordVbaData",
        "keyMapCustomizations",
        "attachedTemplate",
        "mailMergeSource",
        "mailMergeHeaderSource",
        "recipientData",
        "webextensiontaskpanes",
        "webextension",
        "classificationlabels",
        "extensibility",
        "customData",
        "revisionHeaders",
        "usernames",
        # PowerPoint co-authoring: client ids and save times, user names per change.
        "revisionInfo",
        "changesInfo",
    }
)

_WS = (W, W_STRICT)
_SS = (S, S_STRICT)
_PS = (P, P_STRICT)

# Elements dropped with their subtree.
DROP_ELEMENTS: frozenset[tuple[str, str]] = frozenset(
    {
        (ns, local)
        for ns in _WS
        for local in (
            "rsids",
            "attachedTemplate",
            "mailMerge",
            "docVars",
            "documentProtection",
            "writeProtection",
            "saveThroughXslt",
        )
    }
    | {(W14, "docId"), (W15, "docId"), (X15AC, "absPath"), (XR, "revisionPtr")}
    # Shared-workbook "personal views" are named after users ("Alice - Personal View").
    | {
        (ns, local)
        for ns in _SS
        for local in ("fileSharing", "customWorkbookViews", "customSheetViews")
    }
    | {(ns, "custDataLst") for ns in _PS}
)

# Attributes removed wherever they appear.
DROP_ATTRS: frozenset[tuple[str, str]] = frozenset(
    {(ns, local) for ns in _WS for local in ("date", "initials")}
    | {(W14, "paraId"), (W14, "textId"), (W16CEX, "dateUtc"), (W16DU, "dateUtc")}
    | {(ns, "uid") for ns in XR_UIDS}
    | {(TC, "dT"), (TC, "userId"), (TC, "providerId")}
    | {(P188, "initials"), (P188, "userId"), (P188, "providerId"), (P188, "created")}
)
# Attributes with no namespace, removed only on these elements.
DROP_LOCAL_ATTRS: dict[tuple[str, str], frozenset[str]] = {
    **{(ns, "cmAuthor"): frozenset({"initials"}) for ns in _PS},
    **{(ns, "cm"): frozenset({"dt"}) for ns in _PS},
    (P188, "cm"): frozenset({"created"}),
    (P188, "author"): frozenset({"initials", "userId", "providerId"}),
    (TC, "person"): frozenset({"userId", "providerId"}),
    (TC, "threadedComment"): frozenset({"dT"}),
    # Data connections: .odc files and source files live on someone's disk.
    **{(ns, "connection"): frozenset({"odcFile", "sourceFile"}) for ns in _SS},
}
# Attributes emptied in place (required by the schema, identifying in value):
# a database connection string names a server, a path and often a user.
EMPTY_LOCAL_ATTRS: dict[tuple[str, str], frozenset[str]] = {
    **{(ns, "dbPr"): frozenset({"connection"}) for ns in _SS},
}
# Attributes holding a person's name: replaced by "Author N".
LABEL_ATTRS: frozenset[tuple[str, str]] = frozenset({(ns, "author") for ns in _WS})
LABEL_LOCAL_ATTRS: dict[tuple[str, str], str] = {
    **{(ns, "cmAuthor"): "name" for ns in _PS},
    (P188, "author"): "name",
    (TC, "person"): "displayName",
}
# Elements whose text is a person's name (Excel legacy comment authors).
LABEL_TEXT_ELEMENTS = frozenset({(ns, "author") for ns in _SS})


class Labels:
    """Maps each distinct author to "Author N" in order of first appearance,
    so who-did-which stays readable without naming anyone."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    @property
    def count(self) -> int:
        return len(self._names)

    def __call__(self, name: str) -> str:
        key = name.strip()
        if key not in self._names:
            self._names[key] = f"Author {len(self._names) + 1}"
        return self._names[key]


class OoxmlPolicy:
    def __init__(self, place: str, report: Report, labels: Labels) -> None:
        self.place = place
        self.report = report
        self.labels = labels

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        local = name[1]
        if name in DROP_ELEMENTS:
            self.report.remove(self.place, local)
            return _xml.Action(drop=True)
        if not attrs and name not in LABEL_TEXT_ELEMENTS:
            return _xml.KEEP_BARE  # most elements of a large sheet: nothing to decide
        drop_local = DROP_LOCAL_ATTRS.get(name, frozenset())
        empty_local = EMPTY_LOCAL_ATTRS.get(name, frozenset())
        label_local = LABEL_LOCAL_ATTRS.get(name)
        out: list[_xml.Attr] = []
        for a in attrs:
            ans, alocal = a.name
            if (
                a.name in DROP_ATTRS
                or (ans in _WS and alocal.startswith("rsid"))
                or (ans == "" and alocal in drop_local)
            ):
                self.report.remove(self.place, f"{local}@{alocal}")
                continue
            if ans == "" and alocal in empty_local:
                self.report.remove(self.place, f"{local}@{alocal}")
                out.append(_xml.Attr(a.raw, a.name, ""))
                continue
            if a.name in LABEL_ATTRS or (ans == "" and alocal == label_local):
                self.report.remove(self.place, f"{local}@{alocal}")
                out.append(_xml.Attr(a.raw, a.name, self.labels(a.value)))
                continue
            out.append(a)
        out = _xml.neutral_paths(out, self.report.remove, self.place, local)
        if name in LABEL_TEXT_ELEMENTS:
            self.report.remove(self.place, local)
            return _xml.Action(attrs=out, transform=self.labels)
        return _xml.Action(attrs=out)


def part_fields(part: str, data: bytes) -> list[str] | None:
    """Names of the fields a dropped properties part held (None: not a
    properties part). Reads the part safely; values are never returned."""
    names: list[str] = []
    if not part.startswith("docProps/") or not part.endswith(".xml"):
        return None

    def note(field: str) -> _xml.Transform:
        def keep_if_set(text: str) -> str:
            if text.strip():
                names.append(field)
            return text

        return keep_if_set

    class _Fields:
        def element(
            self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
        ) -> _xml.Action:
            if name[0] == CUSTOM and name[1] == "property":
                prop = next((a.value for a in attrs if a.name == ("", "name")), "")
                # A custom property's *name* is the field name an organisation
                # chose (e.g. "MSIP_Label_..._SiteId"); its value is never read.
                names.append(f"custom:{prop[:64]}")
                return _xml.Action(drop=True)
            if len(path) == 1:
                return _xml.Action(attrs=attrs, transform=note(name[1]))
            return _xml.Action(attrs=attrs)

    try:
        _xml.rewrite(data, _Fields())
    except Exception:  # a malformed dropped part is dropped all the same
        return []
    return names
