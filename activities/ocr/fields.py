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

Kind = Literal["vat_invoice", "receipt", "unknown"]
KINDS: tuple[str, ...] = ("vat_invoice", "receipt", "auto")

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
    if _INVOICE_MARKS.search(text):
        return "vat_invoice"
    if _RECEIPT_MARKS.search(text):
        return "receipt"
    return "unknown"


def extract(lines: Sequence[Line], kind: str = "auto") -> Extraction:
    """The fields of a VAT invoice or a receipt (``kind``), or of what the text looks like."""
    from activities.ocr.invoice import extract_invoice
    from activities.ocr.receipt import extract_receipt

    found: Kind = detect_kind(lines) if kind == "auto" else kind  # type: ignore[assignment]
    normalized = [Line(normalize(line.text), line.score) for line in lines]
    if found == "vat_invoice":
        return extract_invoice(normalized)
    if found == "receipt":
        return extract_receipt(normalized)
    return Extraction("unknown")


def as_number(value: Decimal) -> float:
    """Amounts leave as JSON numbers (gateway conditions compare them), rounded to the cent."""
    return float(value.quantize(Decimal("0.01")))
