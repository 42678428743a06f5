"""Digital e-invoices (数电发票, 全电发票) read exactly from their own data, before any OCR.

A fully digital invoice arrives as its XML file, as an OFD package (a ZIP of XML: the invoice's
data file inside, or else the pages' text objects) or as a PDF that carries the XML as an attached
file. Its fields are then read from elements, not pixels: confidence 1.0, source ``xml``, ``ofd``
or ``pdf_xml``. Element names differ between issuers and schema versions (the State Taxation
Administration's ``EInvoice`` schema, older ``Fpxx`` pinyin ones), so each field has a list of the
names it goes by. XML is parsed with defusedxml (no entities, no network).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from activities.ocr.amounts import amount_in_words
from activities.ocr.fields import Extraction, Field, extract, parse_date
from activities.ocr.reader import Line

MAX_XML_BYTES = 2_000_000  # an invoice's XML is a few kB; a package member beyond this is refused
MAX_PACKAGE_MEMBERS = 500
# Field -> the element names it goes by (compared without namespace, case-insensitively).
ELEMENTS: dict[str, tuple[str, ...]] = {
    "invoice_number": ("EIid", "InvoiceNumber", "InvoiceNo", "Fphm", "FPHM"),
    "invoice_code": ("InvoiceCode", "Fpdm", "FPDM"),
    "invoice_date": ("IssueTime", "IssueDate", "RequestTime", "Kprq", "KPRQ"),
    "seller_name": ("SellerName", "XsfMc", "Xsfmc", "XSFMC"),
    "seller_tax_id": ("SellerIdNum", "SellerTaxID", "XsfNsrsbh", "Xsfnsrsbh", "XSFNSRSBH"),
    "buyer_name": ("BuyerName", "GmfMc", "Gmfmc", "GMFMC"),
    "buyer_tax_id": ("BuyerIdNum", "BuyerTaxID", "GmfNsrsbh", "Gmfnsrsbh", "GMFNSRSBH"),
    "amount": ("TotalAmWithoutTax", "TotalAmount", "Hjje", "HJJE"),
    "tax": ("TotalTaxAm", "TotalTax", "Hjse", "HJSE"),
    "total": ("TotalTax-includedAmount", "TotalTaxIncludedAmount", "Jshj", "JSHJ"),
    "total_in_words": ("TotalTax-includedAmountInChinese", "Jshjdx", "JSHJDX"),
}
_MONEY_FIELDS = ("amount", "tax", "total")
_INVOICE_XML = re.compile(rb"<[^>]*(EInvoice|InvoiceNumber|Fphm|FPHM|TotalTax-included)", re.I)


@dataclass
class DigitalReading:
    extraction: Extraction
    lines: list[Line]
    source: str  # xml, ofd, pdf_xml
    pages: int = 1


def read_digital(data: bytes) -> DigitalReading | None:
    """The invoice in ``data`` if it is a digital one (XML, OFD, PDF with its XML), else None."""
    if data.startswith(b"PK\x03\x04"):
        return _read_ofd(data)
    if data.startswith(b"%PDF"):
        return _read_pdf_attachment(data)
    if _INVOICE_XML.search(data[:4096]):
        root = _parse(data)
        return _from_xml(root, "xml") if root is not None else None
    return None


def is_ofd(data: bytes) -> bool:
    """An OFD package: a ZIP whose entries include ``OFD.xml``."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return any(n.rsplit("/", 1)[-1] == "OFD.xml" for n in package.namelist())
    except zipfile.BadZipFile:
        return False


def _parse(data: bytes) -> Element | None:
    if len(data) > MAX_XML_BYTES:
        return None
    try:
        root: Element = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    return root


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def _from_xml(root: Element, source: str) -> DigitalReading | None:
    names = {field: {n.lower() for n in aliases} for field, aliases in ELEMENTS.items()}
    found: dict[str, str] = {}
    for element in root.iter():
        text = (element.text or "").strip()
        if not text:
            continue
        tag = _local(element.tag)
        for field, aliases in names.items():
            if field not in found and tag in aliases:
                found[field] = text
    if "total" not in found and "invoice_number" not in found:
        return None
    out = Extraction("vat_invoice")
    exact = Line("", 1.0)
    for field, text in found.items():
        value: Any = text
        if field in _MONEY_FIELDS:
            value = _money(text)
        elif field == "invoice_date":
            value = parse_date(text) or _iso_date(text)
        out.put(field, value, exact, 1.0)
    _check_sums(out)
    lines = [Line(f"{field}: {text}", 1.0) for field, text in found.items()]
    return DigitalReading(out, lines, source)


def _money(text: str) -> float | None:
    try:
        return float(Decimal(text.replace(",", "").lstrip("¥￥")).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def _iso_date(text: str) -> str | None:
    found = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    return parse_date(f"{found[1]}-{found[2]}-{found[3]}") if found else None


def _check_sums(out: Extraction) -> None:
    """The data is exact, but it still has to add up: a mismatch is flagged, not hidden."""
    fields = out.fields
    amount, tax, total = (fields.get(name) for name in _MONEY_FIELDS)
    known = [f.value for f in (amount, tax, total) if f is not None and f.value is not None]
    if len(known) == 3 and Decimal(str(known[0])) + Decimal(str(known[1])) != Decimal(
        str(known[2])
    ):
        out.flags.append("amount_tax_total_mismatch")
    if total is not None and total.value is not None and "total_in_words" not in fields:
        words = amount_in_words(Decimal(str(total.value)))
        fields["total_in_words"] = Field(words, 1.0)


def _members(package: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = package.infolist()[:MAX_PACKAGE_MEMBERS]
    return [m for m in members if m.file_size <= MAX_XML_BYTES and not m.is_dir()]


def _read_ofd(data: bytes) -> DigitalReading | None:
    """The invoice data file inside the package, or else the text objects of its pages."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = _members(package)
            if not any(m.filename.rsplit("/", 1)[-1] == "OFD.xml" for m in members):
                return None
            read: Callable[[zipfile.ZipInfo], bytes] = package.read
            for member in members:  # an attached invoice XML: the issuer's own data
                if member.filename.lower().endswith(".xml") and "/pages/" not in (
                    member.filename.lower()
                ):
                    content = read(member)
                    if _INVOICE_XML.search(content[:4096]):
                        root = _parse(content)
                        reading = _from_xml(root, "ofd") if root is not None else None
                        if reading is not None:
                            return reading
            pages = sorted(
                (m for m in members if re.search(r"/Pages/Page_\d+/Content\.xml$", m.filename)),
                key=lambda m: m.filename,
            )
            lines = [line for page in pages for line in _page_lines(read(page))]
    except (zipfile.BadZipFile, KeyError, RuntimeError):
        return None
    if not lines:
        return None
    return DigitalReading(extract(lines), lines, "ofd", max(1, len(pages)))


def _page_lines(content: bytes) -> list[Line]:
    """An OFD page's text objects as lines: objects at the same height form one line."""
    root = _parse(content)
    if root is None:
        return []
    items: list[tuple[float, float, str]] = []
    for element in root.iter():
        if _local(element.tag) != "textobject":
            continue
        box = [float(v) for v in (element.get("Boundary") or "0 0 0 0").split()[:4]]
        text = "".join((c.text or "") for c in element.iter() if _local(c.tag) == "textcode")
        if text.strip():
            items.append((box[1] if len(box) > 1 else 0.0, box[0] if box else 0.0, text.strip()))
    items.sort()
    lines: list[list[tuple[float, float, str]]] = []
    for item in items:
        if lines and abs(item[0] - lines[-1][0][0]) < 2.0:
            lines[-1].append(item)
        else:
            lines.append([item])
    return [Line(" ".join(t for _, _, t in sorted(row, key=lambda i: i[1])), 1.0) for row in lines]


def _read_pdf_attachment(data: bytes) -> DigitalReading | None:
    """A PDF e-invoice that carries its XML as an attached file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        for index in range(min(pdf.count_attachments(), 20)):
            content = bytes(pdf.get_attachment(index).get_data())
            if len(content) <= MAX_XML_BYTES and _INVOICE_XML.search(content[:4096]):
                root = _parse(content)
                reading = _from_xml(root, "pdf_xml") if root is not None else None
                if reading is not None:
                    reading.pages = len(pdf)
                    return reading
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()
    return None
