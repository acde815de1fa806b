"""The streaming XML rewriter and the OOXML/ODF policies on small parts:
namespace prefixes and declarations survive as written, policies drop and
relabel what they should, hostile XML is refused, and arbitrary input never
escapes as anything but ScrubError."""

from __future__ import annotations

import contextlib

from defusedxml import ElementTree
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from scrub.base import Report, ScrubError
from scrub.formats import _xml
from scrub.formats._ooxml_policy import Labels, OoxmlPolicy


def _ooxml(xml: str) -> tuple[str, Report]:
    report = Report("docx")
    out = _xml.rewrite(xml.encode(), OoxmlPolicy("X:part", report, Labels()))
    return out.decode(), report


def test_prefixes_and_unused_declarations_survive_for_mc_ignorable() -> None:
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'mc:Ignorable="w14"><w:body><w:p><w:r><w:t xml:space="preserve"> a &amp; b </w:t>'
        "</w:r></w:p></w:body></w:document>"
    )
    out, _ = _ooxml(xml)
    assert 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"' in out
    assert 'mc:Ignorable="w14"' in out and '<w:t xml:space="preserve"> a &amp; b </w:t>' in out


def test_threaded_comment_persons_and_modern_pptx_authors() -> None:
    persons = (
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<person displayName="SMZNameQ7" id="{1}" userId="SMZUserQ7" providerId="AD"/></personList>'
    )
    out, report = _ooxml(persons)
    assert "SMZ" not in out and 'displayName="Author 1"' in out and "providerId" not in out
    assert "person@userId" in report.removed["X:part"]
    threaded = (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<threadedComment ref="A1" dT="2011-11-11T11:11:11.00" personId="{1}" id="{2}">'
        "<text>kept</text></threadedComment></ThreadedComments>"
    )
    out, _ = _ooxml(threaded)
    assert "2011" not in out and "<text>kept</text>" in out
    authors = (
        '<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main">'
        '<p188:author id="{1}" name="SMZPptQ7" initials="SQ" userId="SMZIdQ7" providerId="AD"/>'
        "</p188:authorLst>"
    )
    out, _ = _ooxml(authors)
    assert "SMZ" not in out and 'name="Author 1"' in out and "initials" not in out
    cex = (
        '<w16cex:commentsExtensible xmlns:w16cex="http://schemas.microsoft.com/office/word/2018/wordml/cex">'
        '<w16cex:commentExtensible w16cex:durableId="1" w16cex:dateUtc="2011-11-11T11:11:11Z"/>'
        "</w16cex:commentsExtensible>"
    )
    out, _ = _ooxml(cex)
    assert "2011" not in out and "durableId" in out


def test_same_author_same_label_across_parts() -> None:
    labels = Labels()
    report = Report("docx")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    a = _xml.rewrite(
        f'<w:comments {w}><w:comment w:author="Ann"/>'
        f'<w:comment w:author="Bob"/></w:comments>'.encode(),
        OoxmlPolicy("X:c", report, labels),
    )
    b = _xml.rewrite(
        f'<w:document {w}><w:ins w:author="Bob"/></w:document>'.encode(),
        OoxmlPolicy("X:d", report, labels),
    )
    assert b'w:author="Author 2"' in b and b'w:author="Author 1"' in a


def test_comments_and_processing_instructions_are_not_copied() -> None:
    out = _xml.rewrite(b"<a><!-- SMZCommentQ7 --><?pi SMZPiQ7?><b>t</b></a>", _xml.KeepAll())
    assert b"SMZ" not in out and b"<b>t</b>" in out


_names = st.sampled_from(["a", "b", "x:c", "d"])
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(_names)
    attrs = draw(st.dictionaries(st.sampled_from(["k", "x:l", "m"]), _text, max_size=2))
    attr_text = "".join(
        f' {k}="{v.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}"'
        for k, v in attrs.items()
    )
    children = draw(st.lists(_trees(depth + 1), max_size=2)) if depth < 3 else []
    body = draw(_text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{name}{attr_text}>{body}{''.join(children)}</{name}>"


def _canonical(xml: bytes) -> list[tuple[str, dict[str, str], str]]:
    root = ElementTree.fromstring(xml)
    return [(e.tag, dict(e.attrib), (e.text or "") + (e.tail or "")) for e in root.iter()]


@seed(20261125)
@settings(max_examples=150, deadline=None)
@given(tree=_trees())
def test_keep_all_round_trips_any_tree(tree: str) -> None:
    xml = f'<root xmlns:x="urn:x">{tree}</root>'
    try:
        ElementTree.fromstring(xml.encode())
    except ElementTree.ParseError:
        return  # control characters etc.: not XML, nothing to compare
    out = _xml.rewrite(xml.encode(), _xml.KeepAll())
    assert _canonical(out) == _canonical(xml.encode())


@seed(20261125)
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_scrub_errors(data: bytes) -> None:
    # Any other exception type fails the test.
    with contextlib.suppress(ScrubError):
        _xml.rewrite(b"<r>" + data + b"</r>", _xml.KeepAll())


def test_shared_workbook_personal_views_dropped() -> None:
    xml = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<customWorkbookViews><customWorkbookView name="SMZAlice - Personal View" '
        'guid="{1}" windowWidth="1" windowHeight="1" activeSheetId="1"/></customWorkbookViews>'
        '<sheets><sheet name="S" sheetId="1"/></sheets></workbook>'
    )
    out, report = _ooxml(xml)
    assert "SMZ" not in out and "<sheets>" in out
    assert "customWorkbookViews" in report.removed["X:part"]
