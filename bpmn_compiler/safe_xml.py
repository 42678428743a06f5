"""Hardened XML loading: a size cap, no DTDs or entities, no network, errors as diagnostics.

A DOCTYPE is refused *before* libxml2 sees the document, so billion-laughs and external-entity
(XXE) payloads come back as one ``xml-forbidden`` diagnostic at once and are never expanded or
fetched. The parser itself is locked down as well (no entity resolution, no DTD loading, no
network), in case a DOCTYPE ever slips past the prolog scan.
"""

from __future__ import annotations

import codecs
import re
import threading

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# What may precede the root element: whitespace, the XML declaration, comments, PIs.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_FORBIDDEN = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def line_of(el: etree._Element) -> int | None:
    """The element's source line: an int, or None for an element not parsed from a file (lxml's
    stubs do not say so; every element of a compile is parsed, and each gets here a few times)."""
    return el.sourceline  # type: ignore[return-value]


class XmlRejected(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# The prolog is scanned in the file's first bytes when it ends there, not in a copy of the whole
# file (docs/benchmarks.md "Compiling the real-world corpus").
_SCAN_PREFIX = 4096


def _decode_for_scan(xml: bytes) -> str:
    """Enough decoding to see markup: UTF-16/32 by BOM, otherwise an ASCII-compatible view."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if xml.startswith(bom):
            return xml.decode(encoding, errors="replace")
    return xml.decode("latin-1")


def _prolog_end(text: str) -> int:
    """Where the prolog's whitespace, declaration, comments and PIs end."""
    pos = 1 if text.startswith("\ufeff") else 0
    while True:
        match = _PROLOG_ITEM.match(text, pos)
        if match is None or match.end() == pos:
            return pos
        pos = match.end()


def _forbidden_at(text: str, pos: int) -> int | None:
    """The line of a DOCTYPE/ENTITY declaration at ``pos``, if there is one."""
    if _FORBIDDEN.match(text, pos):
        return text.count("\n", 0, pos) + 1
    return None


_BLANKS = b" \t\r\n"
_NAME_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def _root_comes_first(xml: bytes) -> bool:
    """Whether the root element's start tag (``<`` and an ASCII letter) is the first markup after
    the first declaration or processing instruction, with only blanks between: then there is no
    DOCTYPE, which may only come before it. Nearly every BPMN file starts so, and this look at a
    few bytes spares it the prolog scan and the parsed document's DOCTYPE lookup (a fortieth of
    compiling a small file; docs/benchmarks.md "Compiling the real-world corpus"). Anything else
    (a BOM, UTF-16, a comment, a DOCTYPE, an encoding that does not write ``<`` as itself) takes
    the long way."""
    start = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    head = xml[start : start + 64].lstrip(_BLANKS)  # more blanks than that: the long way
    return len(head) > 1 and head[0] == 0x3C and head[1] in _NAME_START  # "<" and a letter


def _prolog_has_doctype(xml: bytes) -> int | None:
    """The line of a DOCTYPE/ENTITY declaration in the prolog, if there is one."""
    if not xml.startswith(_BOMS):
        # Latin-1 maps byte to character, so the prefix's text is the whole text's beginning.
        # The answer is the same when it is the whole text, or when the prolog ends well inside
        # it, not in an item (a long comment, say) that only the rest of the file may close.
        text = xml[:_SCAN_PREFIX].decode("latin-1")
        pos = _prolog_end(text)
        whole = len(xml) <= _SCAN_PREFIX
        if whole or (pos + 16 < len(text) and not text.startswith(("<?", "<!--"), pos)):
            return _forbidden_at(text, pos)
    text = _decode_for_scan(xml)
    return _forbidden_at(text, _prolog_end(text))


# One parser of each kind per thread: lxml parsers may be reused but not shared between threads,
# and setting one up cost a tenth of parsing a corpus file (docs/benchmarks.md "Compiling the
# real-world corpus").
_PER_THREAD = threading.local()


def _parser(*, keep_blanks: bool) -> etree.XMLParser:
    name = "keeping" if keep_blanks else "dropping"
    parser: etree.XMLParser | None = getattr(_PER_THREAD, name, None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,  # keeps libxml2's depth and text-size limits on
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=not keep_blanks,
            # No index of xml:id attributes: nothing looks elements up by it, and building it
            # was 2 % of libxml2's parse (docs/benchmarks.md "Compiling the real-world corpus").
            collect_ids=False,
        )
        setattr(_PER_THREAD, name, parser)
    return parser


def _blanks_may_be_text(xml: bytes) -> bool:
    """Whether blanks between tags may belong to an element's text, so the parser must keep them.

    Dropping the indentation between elements spares libxml2 a node to build and free for each
    run of it (about 2 % of a compile; docs/benchmarks.md "Compiling the real-world corpus"), and
    no reader looks at it. libxml2 also drops the blanks at the start of an element's content when
    a CDATA section, comment or processing instruction follows them, and those are the start of
    the element's text: a prompt's template counts its lines from them. Such a file, or one whose
    bytes this ASCII search cannot read (UTF-16, UTF-32, a BOM), keeps every blank.
    """
    head = xml[:4]
    if not head.isascii() or b"\x00" in head:
        return True
    declared = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    # "<![CDATA[", "<!--" and a processing instruction's "<?" after the declaration.
    return _markup(xml, b"!", 0) or _markup(xml, b"?", declared)


def _markup(xml: bytes, mark: bytes, start: int) -> bool:
    """Whether ``<`` and ``mark`` stand together in ``xml`` from ``start``. A raw ``<`` is always
    markup, and the one-byte ``mark`` is rare (a JUEL ``!``, a question in a label): looking for
    it runs at memchr's speed, where looking for the pair took a microsecond per kilobyte."""
    at = xml.find(mark, start)
    while at >= 0:
        if at and xml[at - 1] == 0x3C:  # "<"
            return True
        at = xml.find(mark, at + 1)
    return False


def load(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse ``xml`` into an element tree or raise ``XmlRejected`` with one diagnostic."""
    if len(xml) > max_bytes:
        raise XmlRejected(
            Diagnostic(
                code="too-large",
                message=f"the file has {len(xml)} bytes; the limit is {max_bytes}",
            )
        )
    plain = _root_comes_first(xml)
    line = None if plain else _prolog_has_doctype(xml)
    if line is not None:
        raise XmlRejected(
            Diagnostic(
                code="xml-forbidden",
                message="DOCTYPE and entity declarations are not allowed in BPMN files",
                line=line,
            )
        )
    try:
        root = etree.fromstring(xml, _parser(keep_blanks=_blanks_may_be_text(xml)))
    except etree.XMLSyntaxError as err:
        raise XmlRejected(
            Diagnostic(code="xml-syntax", message=f"malformed XML: {err.msg}", line=err.lineno)
        ) from None
    except ValueError as err:  # e.g. a unicode string with an encoding declaration
        raise XmlRejected(Diagnostic(code="xml-syntax", message=f"malformed XML: {err}")) from None
    doctype: object = "" if plain else getattr(root.getroottree().docinfo, "doctype", "")
    if doctype:
        raise XmlRejected(
            Diagnostic(code="xml-forbidden", message="DOCTYPE declarations are not allowed")
        )
    return root
