"""Fields from lines of text: what kind of document it is, then the kind's own patterns.

A field's confidence is the score of the line it was read from (OCR: the recogniser's weakest box
on that line; text layer: 1.0) times the certainty of the pattern that found it (1.0 for a labelled
value that passes its own check, less for a guess; cross-checks between fields raise or lower it).
See docs/documents.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from activities.ocr.reader import Line

Kind = Literal[
    "vat_invoice",
    "taxi_invoice",
    "train_ticket",
    "air_itinerary",
    "hotel_folio",
    "receipt",
    "unknown",
]
KINDS: tuple[str, ...] = (
    "vat_invoice",
    "taxi_invoice",
    "train_ticket",
    "air_itinerary",
    "hotel_folio",
    "receipt",
    "auto",
)

# The kinds that print 发票代码 / 发票号码 too are told apart first: a taxi invoice is no VAT
# invoice, and its 金额 is the fare paid.
_KIND_MARKS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("taxi_invoice", re.compile(r"出租汽车|出租车|TAXI|上车.*下车|里程", re.IGNORECASE)),
    ("train_ticket", re.compile(r"铁路电子客票|中国铁路|12306|电子客票号.*站|二等座|一等座")),
    ("air_itinerary", re.compile(r"行程单|航空运输|民航发展基金|燃油附加费|ITINERARY", re.I)),
    ("hotel_folio", re.compile(r"宾客账单|住宿账单|入住日期|离店日期|FOLIO|房号", re.I)),
)
_INVOICE_MARKS = re.compile(r"发票代码|发票号码|价税合计|纳税人识别号|增值税")
_RECEIPT_MARKS = re.compile(r"合计|总计|实付|应付|实收|小票|收据|收银|TOTAL", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})[年/.-](\d{1,2})[月/.-](\d{1,2})日?")
# Money as printed: optional currency sign (OCR often reads ¥ as Y), thousands commas, 2 decimals.
_MONEY = re.compile(r"[¥Y]?(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})")


@dataclass(frozen=True)
class Field:
    value: Any
    confidence: float

    def scaled(self, factor: float) -> Field:
        return Field(self.value, round(min(1.0, self.confidence * factor), 4))


@dataclass
class Extraction:
    kind: Kind
    fields: dict[str, Field] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def put(self, name: str, value: Any, line: Line, certainty: float) -> None:
        """Keep the first reading of a field (documents print the labelled value first)."""
        if name not in self.fields and value is not None:
            self.fields[name] = Field(value, round(line.score * certainty, 4))

    @property
    def confidence(self) -> float:
        if not self.fields:
            return 0.0
        return round(sum(f.confidence for f in self.fields.values()) / len(self.fields), 4)


def normalize(text: str) -> str:
    """Full-width to ASCII (：→:, （→(, ￥→¥), no whitespace: OCR spaces are noise in fields."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def parse_date(text: str) -> str | None:
    found = _DATE.search(text)
    if found is None:
        return None
    try:
        return date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:
        return None


def money_values(text: str) -> list[Decimal]:
    values = []
    for whole, cents in _MONEY.findall(text):
        try:
            values.append(Decimal(f"{whole.replace(',', '')}.{cents}"))
        except InvalidOperation:
            continue
    return values


def detect_kind(lines: Sequence[Line]) -> Kind:
    text = normalize(" ".join(line.text for line in lines))
    for kind, marks in _KIND_MARKS:
        if marks.search(text):
            return kind
    if _INVOICE_MARKS.search(text):
        return "vat_invoice"
    if _RECEIPT_MARKS.search(text):
        return "receipt"
    return "unknown"


def extract(lines: Sequence[Line], kind: str = "auto") -> Extraction:
    """The fields of a document of ``kind``, or of the kind its text looks like."""
    from activities.ocr import tickets
    from activities.ocr.invoice import extract_invoice
    from activities.ocr.receipt import extract_receipt

    found: Kind = detect_kind(lines) if kind == "auto" else kind  # type: ignore[assignment]
    normalized = [Line(normalize(line.text), line.score) for line in lines]
    readers = {
        "vat_invoice": extract_invoice,
        "taxi_invoice": tickets.extract_taxi,
        "train_ticket": tickets.extract_train,
        "air_itinerary": tickets.extract_air,
        "hotel_folio": tickets.extract_hotel,
        "receipt": extract_receipt,
    }
    reader = readers.get(found)
    return reader(normalized) if reader is not None else Extraction("unknown")


def as_number(value: Decimal) -> float:
    """Amounts leave as JSON numbers (gateway conditions compare them), rounded to the cent."""
    return float(value.quantize(Decimal("0.01")))
