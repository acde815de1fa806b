"""SVG images inside documents, rewritten through the safe XML rewriter.

Drops <metadata> (RDF: creator, rights, dates), <title>/<desc> (tooltips
that name files and authors; never drawn) and everything in editor
namespaces (Inkscape/Sodipodi window state and export paths such as
/home/alice/..., Illustrator and Sketch private data).

Must never: drop an element that draws (paths, shapes, text, gradients,
images, styles).
"""

from __future__ import annotations

from collections.abc import Callable

from scrub.formats import _xml

_SVG_NS = "http://www.w3.org/2000/svg"
# Editor namespaces: window geometry, export paths (/home/alice/...), layer
# names. Never needed to draw the picture.
_SVG_EDITOR_NS = frozenset(
    {
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
        "http://www.inkscape.org/namespaces/inkscape",
        "http://ns.adobe.com/AdobeIllustrator/10.0/",
        "http://ns.adobe.com/Extensibility/1.0/",
        "http://ns.adobe.com/SaveForWeb/1.0/",
        "http://www.bohemiancoding.com/sketch/ns",
    }
)


class SvgPolicy:
    """SVG images inside documents: drop <metadata> (RDF: creator, rights,
    dates), editor-namespace elements and attributes, and <title>/<desc>
    (tooltips that name files and authors; not drawn)."""

    def __init__(self, remove: Callable[[str, str], None], place: str) -> None:
        self.remove = remove
        self.place = place

    def element(
        self, name: _xml.QName, attrs: list[_xml.Attr], path: list[_xml.QName]
    ) -> _xml.Action:
        if name[0] in _SVG_EDITOR_NS or name in (
            (_SVG_NS, "metadata"),
            (_SVG_NS, "title"),
            (_SVG_NS, "desc"),
        ):
            self.remove(self.place, name[1])
            return _xml.Action(drop=True)
        kept = []
        for a in attrs:
            if a.name[0] in _SVG_EDITOR_NS or (
                a.raw.startswith("xmlns:") and a.value in _SVG_EDITOR_NS
            ):
                self.remove(self.place, a.name[1] if not a.raw.startswith("xmlns:") else a.raw)
                continue
            kept.append(a)
        return _xml.Action(attrs=kept)
