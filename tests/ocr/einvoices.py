"""Digital e-invoices (数电发票) as they are delivered, for the tests: the XML file (in the shape of
the State Taxation Administration's ``EInvoice`` schema), an OFD package (with the XML attached,
or with page text only) and a PDF carrying the XML as an attached file. Built from a drawn VAT
invoice's truth (``tests.ocr.documents.make_invoice``), so the values are known."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from tests.ocr.documents import FONT, Doc

OFD_NS = "http://www.ofdspec.org/2016"


def invoice_xml(truth: dict[str, Any]) -> bytes:
    day = truth["invoice_date"]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header><EIid>{truth["invoice_number"]}</EIid><InherentLabel><EInvoiceType>
    <LabelName>电子发票（增值税专用发票）</LabelName></EInvoiceType></InherentLabel></Header>
  <EInvoiceData>
    <SellerInformation><SellerIdNum>{truth["seller_tax_id"]}</SellerIdNum>
      <SellerName>{escape(truth["seller_name"])}</SellerName></SellerInformation>
    <BuyerInformation><BuyerIdNum>{truth["buyer_tax_id"]}</BuyerIdNum>
      <BuyerName>{escape(truth["buyer_name"])}</BuyerName></BuyerInformation>
    <BasicInformation>
      <TotalAmWithoutTax>{truth["amount"]:.2f}</TotalAmWithoutTax>
      <TotalTaxAm>{truth["tax"]:.2f}</TotalTaxAm>
      <TotalTax-includedAmount>{truth["total"]:.2f}</TotalTax-includedAmount>
      <TotalTax-includedAmountInChinese>{truth["total_in_words"]}</TotalTax-includedAmountInChinese>
    </BasicInformation>
  </EInvoiceData>
  <TaxSupervisionInfo><InvoiceNumber>{truth["invoice_number"]}</InvoiceNumber>
    <IssueTime>{day} 10:21:33</IssueTime></TaxSupervisionInfo>
</EInvoice>
""".encode()


# What a digital invoice has of a drawn one (no paper invoice code).
DIGITAL_FIELDS = (
    "invoice_number",
    "invoice_date",
    "buyer_name",
    "buyer_tax_id",
    "seller_name",
    "seller_tax_id",
    "amount",
    "tax",
    "total",
    "total_in_words",
)


def digital_truth(doc: Doc) -> dict[str, Any]:
    return {k: doc.truth[k] for k in DIGITAL_FIELDS}


def _page_content(doc: Doc) -> bytes:
    objects = "".join(
        f'<ofd:TextObject ID="{n + 10}" Boundary="{x * 0.2:.1f} {y * 0.2:.1f} 150 {size * 0.2:.1f}"'
        f' Font="1" Size="{size * 0.2:.1f}"><ofd:TextCode X="0" Y="{size * 0.2:.1f}">'
        f"{escape(text)}</ofd:TextCode></ofd:TextObject>"
        for n, (x, y, size, text) in enumerate(doc.runs)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
        f'<ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
    ).encode()


def ofd_package(doc: Doc, *, with_xml: bool) -> bytes:
    """An OFD file: OFD.xml, the document, one page of text objects, the invoice XML if asked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.1">'
            "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        package.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}">'
            '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
            "</ofd:Document>",
        )
        package.writestr("Doc_0/Pages/Page_0/Content.xml", _page_content(doc))
        if with_xml:
            package.writestr("Doc_0/Attachs/original_invoice.xml", invoice_xml(doc.truth))
    return out.getvalue()


def pdf_with_xml(doc: Doc) -> bytes:
    """A PDF invoice (its text drawn) carrying its XML as an attached file."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(doc.width * 0.6, doc.height * 0.6))
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    for x, y, size, text in doc.runs:
        pdf.set_font("wqy", size=size * 0.6)
        pdf.text(x * 0.6, (y + size) * 0.6, text)
    pdf.embed_file(bytes=invoice_xml(doc.truth), basename="invoice.xml")
    return bytes(pdf.output())
