"""Streaming XML rewrite for the document scrubbers (OOXML, ODF, SVG parts).

Parsing goes through defusedxml's expat reader with DTDs, entity
declarations and external references forbidden, so a billion-laughs or
XXE part is refused before any expansion happens. The rewrite is a single
pass over SAX events: the output keeps every namespace prefix and
declaration exactly as written (Office relies on `mc:Ignorable` naming
prefixes that ElementTree would rename or drop), and a `Policy` decides,
element by element, what to drop, which attributes to remove or relabel,
and which element's text to replace.

Comments and processing instructions are never copied: they are not
content and can carry tool or author notes.

Must never: resolve entities or DTDs, fetch anything, keep a comment or
processing instruction, or put text from the document into an error.
"""

from __future__ import annotations

import re
import xml.parsers.expat
import xml.sax.xmlreader
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import defusedxml.expatreader
from defusedxml.common import DefusedXmlException

from scrub.base import Rejected, ScrubError
from scrub.formats._paths import basename, is_local_path

XML_NS = "http://www.w3.org/XML/1998/namespace"
# A legitimate document part nests a few dozen levels; thousands is an attack
# on whatever reads our output, so refuse it here.
MAX_DEPTH = 2_000

QName = tuple[str, str]  # (namespace URI, local name)
Transform = Callable[[str], str]


@dataclass(slots=True)
class Attr:
    raw: str  # the name exactly as written, e.g. "w:author"
    name: QName  # resolved
    value: str


@dataclass
class Action:
    """What to do with one element. `attrs` is the (possibly edited) list to
    write; `text` replaces all children with this text when not None."""

    drop: bool = False
    attrs: list[Attr] = field(default_factory=list)
    text: str | None = None
    # Replace the element's children with transform(its direct text).
    transform: Callable[[str], str] | None = None


# The action for an element without attributes that is copied as it is;
# shared (the rewriter never mutates an Action).
KEEP_BARE = Action()


class Policy(Protocol):
    def element(self, name: QName, attrs: list[Attr], path: list[QName]) -> Action:
        """Decide for one start tag. `path` holds the ancestors' names."""
        ...


_TEXT_SPECIAL = re.compile(r"[&<>]")
_ATTR_SPECIAL = re.compile(r'[&<"\t\n\r]')
_ATTR_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    '"': "&quot;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _escape_text(s: str) -> str:
    if _TEXT_SPECIAL.search(s) is None:
        return s
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group()], s)


def _escape_attr(s: str) -> str:
    if _ATTR_SPECIAL.search(s) is None:
        return s
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], s)


class _Scope:
    """Namespace bindings in force, with a cache of resolved names (a part
    has few distinct names and many elements)."""

    __slots__ = ("cache", "ns")

    def __init__(self, ns: dict[str, str]) -> None:
        self.ns = ns
        self.cache: dict[tuple[str, bool], QName] = {}

    def resolve(self, raw: str, *, is_attr: bool) -> QName:
        key = (raw, is_attr)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        prefix, sep, local = raw.rpartition(":")
        if not sep:
            qname = ("" if is_attr else self.ns.get("", ""), raw)
        elif prefix == "xmlns":
            qname = ("http://www.w3.org/2000/xmlns/", local)
        else:
            uri = self.ns.get(prefix)
            if uri is None:
                raise Rejected("XML part uses an undeclared namespace prefix")
            qname = (uri, local)
        self.cache[key] = qname
        return qname


class _Rewriter:
    """Expat callbacks (raw, not through SAX: several times faster on large
    worksheets) writing the policy's decisions."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.out: list[str] = []
        self.scopes: list[_Scope] = [_Scope({"xml": XML_NS})]
        self.path: list[QName] = []
        # Depth at which we are skipping (a dropped element) or replacing
        # text; None when copying.
        self.skip_depth: int | None = None
        self.replace_depth: int | None = None
        self.pending_open: str | None = None  # start tag not yet closed with ">"
        self.transform: Callable[[str], str] | None = None
        self.text_buf: list[str] = []

    def start(self, name: str, flat: list[str]) -> None:
        if len(self.path) >= MAX_DEPTH:
            raise Rejected("XML part is nested too deeply")
        scope = self.scopes[-1]
        if flat and any(k.startswith("xmlns") for k in flat[::2]):
            ns = dict(scope.ns)
            for i in range(0, len(flat), 2):
                k = flat[i]
                if k == "xmlns":
                    ns[""] = flat[i + 1]
                elif k.startswith("xmlns:"):
                    ns[k[6:]] = flat[i + 1]
            scope = _Scope(ns)
        self.scopes.append(scope)
        qname = scope.resolve(name, is_attr=False)
        if self.skip_depth is not None or self.replace_depth is not None:
            self.path.append(qname)
            return
        parsed = [
            Attr(flat[i], scope.resolve(flat[i], is_attr=True), flat[i + 1])
            for i in range(0, len(flat), 2)
        ]
        action = self.policy.element(qname, parsed, self.path)
        self.path.append(qname)
        if action.drop:
            self.skip_depth = len(self.path)
            return
        if self.pending_open is not None:
            self.out.append(self.pending_open + ">")
            self.pending_open = None
        if action.attrs:
            tag = (
                "<" + name + "".join([f' {a.raw}="{_escape_attr(a.value)}"' for a in action.attrs])
            )
        else:
            tag = "<" + name
        if action.text is not None:
            self.out.append(tag + ">" + _escape_text(action.text))
            self.replace_depth = len(self.path)
        elif action.transform is not None:
            self.out.append(tag + ">")
            self.transform = action.transform
            self.text_buf = []
            self.replace_depth = len(self.path)
        else:
            self.pending_open = tag

    def end(self, name: str) -> None:
        depth = len(self.path)
        self.path.pop()
        self.scopes.pop()
        if self.skip_depth is not None:
            if depth == self.skip_depth:
                self.skip_depth = None
            return
        if self.replace_depth is not None:
            if depth != self.replace_depth:
                return
            self.replace_depth = None
            if self.transform is not None:
                self.out.append(_escape_text(self.transform("".join(self.text_buf))))
                self.transform = None
                self.text_buf = []
            self.out.append(f"</{name}>")
            return
        if self.pending_open is not None:
            self.out.append(self.pending_open + "/>")
            self.pending_open = None
        else:
            self.out.append(f"</{name}>")

    def characters(self, content: str) -> None:
        if self.transform is not None and len(self.path) == self.replace_depth:
            self.text_buf.append(content)
            return
        if self.skip_depth is not None or self.replace_depth is not None or not self.path:
            return  # dropped, replaced, or whitespace outside the root element
        if self.pending_open is not None:
            self.out.append(self.pending_open + ">")
            self.pending_open = None
        self.out.append(_escape_text(content))


class _Guarded(defusedxml.expatreader.DefusedExpatParser):  # type: ignore[misc]
    """defusedxml's expat reader, used only to build an expat parser that
    carries defusedxml's guards (no DTD, no entity declarations, no external
    references); we then drive that parser's callbacks directly."""

    def guarded_expat(self) -> xml.parsers.expat.XMLParserType:
        self._source = xml.sax.xmlreader.InputSource()
        self.reset()  # installs defusedxml's handlers on self._parser
        parser: xml.parsers.expat.XMLParserType = self._parser
        return parser


def rewrite(untrusted_xml: bytes, policy: Policy) -> bytes:
    """Parse one XML part safely and write it back through `policy`.

    Raises Rejected for DTDs/entities (entity-expansion bombs, XXE) and
    ScrubError for XML that is not well-formed.
    """
    parser = _Guarded(forbid_dtd=True, forbid_entities=True, forbid_external=True).guarded_expat()
    handler = _Rewriter(policy)
    parser.ordered_attributes = True
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.characters
    # No comment or processing-instruction handler: neither is ever copied.
    parser.ProcessingInstructionHandler = None
    parser.CommentHandler = None
    try:
        parser.Parse(untrusted_xml, True)
    except DefusedXmlException as exc:
        # DTDs and entity declarations are never needed by the formats we
        # clean; they are how entity-expansion bombs and XXE work.
        raise Rejected("XML part declares a DTD or entities") from exc
    except xml.parsers.expat.ExpatError as exc:
        raise ScrubError("an XML part is not well-formed") from exc
    except RecursionError as exc:
        raise Rejected("XML part is nested too deeply") from exc
    header = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (header + "".join(handler.out)).encode("utf-8")


def neutral_paths(
    attrs: list[Attr],
    remove: Callable[[str, str], None],
    place: str,
    element: str,
    *,
    href_prefix: str = "",
) -> list[Attr]:
    """Attributes with a local-path value keep only the file name.

    `href_prefix` keeps a link pointing outside the package: in ODF a bare
    "pic.png" would name a missing package member (LibreOffice then refuses
    the file), "../pic.png" is a link beside the document."""
    if not attrs:
        return attrs
    out = []
    for a in attrs:
        if is_local_path(a.value) and not a.raw.startswith("xmlns"):
            remove(place, f"{element}@{a.name[1]} (local path)")
            prefix = href_prefix if a.name[1] == "href" else ""
            out.append(Attr(a.raw, a.name, prefix + basename(a.value)))
        else:
            out.append(a)
    return out


class KeepAll:
    """A policy that copies everything (used to normalise/validate a part)."""

    def element(self, name: QName, attrs: list[Attr], path: list[QName]) -> Action:
        return Action(attrs=attrs)


def collect(untrusted_xml: bytes, visit: Callable[[QName, list[Attr], list[QName]], None]) -> None:
    """Walk a part safely without writing it (to name what a dropped part held)."""

    class _Visit:
        def element(self, name: QName, attrs: list[Attr], path: list[QName]) -> Action:
            visit(name, attrs, path)
            return Action(attrs=attrs)

    rewrite(untrusted_xml, _Visit())
