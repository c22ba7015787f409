"""Escaping: every text that viz places in Graphviz's input or in a page goes through here.

A name is the user's to choose (``Tensor(..., name=...)``, a title, a module's name), so it may hold
anything: ``<``, quotes, backslashes, ``</iframe>``, a NUL. Each place a text lands has its own rules,
and one function per place:

    graphviz_html(text)     inside a Graphviz HTML-like label (<<TABLE>…</TABLE>>): & < > " ' as
                            character references, as in XML, and backslashes doubled (Graphviz
                            reads \\N in an HTML-like label as the node's name, even as &#92;N)
    graphviz_string(text)   a Graphviz attribute value or plain label (a graph's title): quoted by
                            the ``graphviz`` package and never read as HTML (a value such as
                            ``<>URL="javascript:…"`` would otherwise be pasted in raw and add
                            attributes), backslashes doubled and & as &amp; (Graphviz reads
                            character references in plain labels too)
    graphviz_tooltip(text)  a node's tooltip: as graphviz_string, but Graphviz removes one level of
                            backslashes more from a tooltip, so they are doubled twice
    html_text(text)         text or a quoted attribute value of an HTML page

Graphviz refuses control characters (a NUL ends its input; an escape character is not well-formed
XML) and lone surrogates cannot be written as UTF-8, so every function first makes the text
``printable``: each such character becomes U+FFFD (�); tabs and line breaks stay.
"""

from __future__ import annotations

import html
import re

import graphviz

# What XML 1.0 (and so Graphviz and SVG) cannot hold, with DEL and the C1 controls: C0 controls but
# tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """``text`` with every control character but tab and line breaks as U+FFFD: 'a\\x00b' -> 'a�b'."""
    return _UNPRINTABLE.sub(REPLACEMENT, str(text))


def graphviz_html(text: str) -> str:
    """``text`` for inside a Graphviz HTML-like label: 'a<b' -> 'a&lt;b', '\\N' -> '\\\\N'."""
    return html.escape(printable(text), quote=True).replace("\\", "\\\\")


def graphviz_string(text: str) -> str:
    """``text`` as a Graphviz attribute value or plain label: quoted, never HTML, backslashes literal."""
    return graphviz.escape(printable(text).replace("&", "&amp;"))


def graphviz_tooltip(text: str) -> str:
    """``text`` as a node's tooltip (see graphviz_string; Graphviz unescapes tooltips twice)."""
    return graphviz.escape(graphviz_string(text))


def html_text(text: str) -> str:
    """``text`` for an HTML page, as text or inside a quoted attribute value."""
    return html.escape(printable(text), quote=True)
