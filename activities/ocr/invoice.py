"""Chinese VAT invoices (增值税发票): code and number, date, both parties, amounts, total in words.

Lines arrive normalised (``fields.normalize``: ASCII punctuation, no spaces). The buyer's and the
seller's blocks may be stacked or side by side; a party marker (购买方/销售方) in a line names the
party of what follows it, and two unmarked values of one label on a line are buyer then seller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from activities.ocr.amounts import (
    WORDS_RUN,
    amount_in_words,
    canonical_words,
    edit_distance,
    parse_amount_in_words,
)
from activities.ocr.fields import Extraction, Field, as_number, money_values, parse_date
from activities.ocr.reader import Line

_CODE = re.compile(r"发票代码:?(\d{10,12})(?!\d)")
_NUMBER = re.compile(r"发票号码:?(\d{8,20})(?!\d)")
_DATE_LABEL = re.compile(r"开票日期:?(.*)")
_PARTY = re.compile(
    r"(?P<buyer>购买方|购方|买方)|(?P<seller>销售方|销方|卖方)"
    # Not the items table's 货物或应税劳务名称 / 项目名称 column headers.
    r"|(?<![务物目])名称:?(?P<name>.+?)(?=购买方|购方|销售方|销方|名称|纳税人|统一社会|地址|$)"
    r"|(?:纳税人识别号|统一社会信用代码)(?:/纳税人识别号)?:?(?P<tax_id>[0-9A-Z]{15,20})"
)
_TOTAL_ROW = re.compile(r"价税合计")
_SUM_ROW = re.compile(r"^合计")
_SMALL = re.compile(r"小写\)?:?")
_ORG_SUFFIX = re.compile(r"(公司|集团|厂|店|中心|医院|学校|大学|研究院|研究所|事务所|合作社|银行)$")

# 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(code: str) -> bool:
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return False
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code, USCC_WEIGHTS, strict=False))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def _tax_id_certainty(code: str) -> float:
    if uscc_valid(code):
        return 1.0
    # 15- and 20-character ids predate the unified code and carry no check character.
    return 0.8 if len(code) in (15, 17, 20) else 0.5


def extract_invoice(lines: Sequence[Line]) -> Extraction:
    out = Extraction("vat_invoice")
    party: str | None = None  # the block being read: a marker line sets it for the lines below
    for line in lines:
        _header(out, line)
        party = _parties(out, line, party)
        _amounts(out, line)
    _cross_check(out)
    return out


def _header(out: Extraction, line: Line) -> None:
    if found := _CODE.search(line.text):
        out.put("invoice_code", found.group(1), line, 1.0)
    if found := _NUMBER.search(line.text):
        certainty = 1.0 if len(found.group(1)) in (8, 20) else 0.8
        out.put("invoice_number", found.group(1), line, certainty)
    if found := _DATE_LABEL.search(line.text):
        out.put("invoice_date", parse_date(found.group(1)), line, 1.0)


def _parties(out: Extraction, line: Line, party: str | None) -> str | None:
    """Names and tax ids of this line, put to their party; returns the party for the next line."""
    marked = False
    unmarked: dict[str, list[str]] = {"name": [], "tax_id": []}
    for found in _PARTY.finditer(line.text):
        if found.group("buyer") or found.group("seller"):
            party = "buyer" if found.group("buyer") else "seller"
            marked = True
            continue
        label = "name" if found.group("name") else "tax_id"
        if marked and party is not None:
            _put_party(out, party, label, found.group(label), line)
        else:
            unmarked[label].append(found.group(label))
    for label, values in unmarked.items():
        if len(values) >= 2:  # side by side, no markers: the buyer's column comes first
            _put_party(out, "buyer", label, values[0], line)
            _put_party(out, "seller", label, values[1], line)
        elif values:
            # No marker read yet (printed vertically, 购/买/方 one per line): the buyer's block
            # comes first, so a second one is the seller's.
            fallback = "seller" if f"buyer_{label}" in out.fields else "buyer"
            _put_party(out, party or fallback, label, values[0], line)
    return party


def _put_party(out: Extraction, party: str, label: str, value: str, line: Line) -> None:
    if label == "name":
        out.put(f"{party}_name", value, line, 1.0 if _ORG_SUFFIX.search(value) else 0.8)
    else:
        out.put(f"{party}_tax_id", value, line, _tax_id_certainty(value))


def _amounts(out: Extraction, line: Line) -> None:
    text = line.text
    if _TOTAL_ROW.search(text):
        small = _SMALL.split(text, maxsplit=1)
        figures = money_values(small[1] if len(small) > 1 else text)
        if figures:
            out.put("total", as_number(figures[-1]), line, 0.9)
        runs = [canonical_words(w) for w in WORDS_RUN.findall(text.replace("价税合计", ""))]
        for run in runs:
            value = parse_amount_in_words(run)
            if value is not None:
                out.put("total_in_words", run, line, 0.9)
                out.put("_words_value", as_number(value), line, 1.0)
                break
        else:
            if runs:  # not an amount as read; the cross-check may still repair it
                out.put("_words_unparsed", max(runs, key=len), line, 1.0)
    elif _SUM_ROW.search(text):
        figures = money_values(text)
        if len(figures) >= 2:
            out.put("amount", as_number(figures[-2]), line, 0.9)
            out.put("tax", as_number(figures[-1]), line, 0.9)


def _cross_check(out: Extraction) -> None:
    """大写 against the figures, and amount + tax against the total: agreement is evidence."""
    fields = out.fields
    words = fields.pop("_words_value", None)
    unparsed = fields.pop("_words_unparsed", None)
    total = fields.get("total")
    if unparsed is not None and total is not None and words is None:
        # One character misread (OCR adds or swaps a stroke-heavy capital): the figures say
        # which amount the words print, so the words are repaired, with less certainty.
        expected = amount_in_words(Decimal(str(total.value)))
        if edit_distance(str(unparsed.value), expected) <= 1:
            fields["total_in_words"] = Field(expected, round(unparsed.confidence * 0.8, 4))
    if words is not None and total is not None:
        if Decimal(str(words.value)) == Decimal(str(total.value)):
            fields["total"] = total.scaled(1 / 0.9)
            fields["total_in_words"] = fields["total_in_words"].scaled(1 / 0.9)
        else:
            out.flags.append("total_words_mismatch")
            fields["total"] = total.scaled(0.5)
            fields["total_in_words"] = fields["total_in_words"].scaled(0.5)
    elif words is not None:  # the figures were not read: the words still say the total
        fields["total"] = Field(words.value, round(fields["total_in_words"].confidence * 0.8, 4))
    amount, tax, total = fields.get("amount"), fields.get("tax"), fields.get("total")
    if amount is not None and tax is not None and total is not None:
        if Decimal(str(amount.value)) + Decimal(str(tax.value)) == Decimal(str(total.value)):
            fields["amount"] = amount.scaled(1 / 0.9)
            fields["tax"] = tax.scaled(1 / 0.9)
        else:
            out.flags.append("amount_tax_total_mismatch")
            fields["amount"] = amount.scaled(0.7)
            fields["tax"] = tax.scaled(0.7)
