"""Receipts (小票, 收据): merchant, date and total, from lines that ``fields.normalize`` made."""

from __future__ import annotations

import re
from collections.abc import Sequence

from activities.ocr.fields import Extraction, as_number, money_values, parse_date
from activities.ocr.reader import Line

_MERCHANT_LABEL = re.compile(r"(?:商户名称|商户|店名|门店|商家|收款单位)[:]?(.+)")
_NOT_A_MERCHANT = re.compile(r"收据|小票|欢迎|谢谢|购物|RECEIPT|\d{3,}", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DATE_LABEL = re.compile(r"日期|时间")
# Labels of the amount due, most certain first. 实收 is often the cash handed over (change follows).
_TOTAL_LABELS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"(?:应付|合计|总计|实付|总额|应收)(?:金额)?"), 1.0),
    (re.compile(r"TOTAL", re.IGNORECASE), 0.9),
    (re.compile(r"实收"), 0.7),
)


def extract_receipt(lines: Sequence[Line]) -> Extraction:
    out = Extraction("receipt")
    _merchant(out, lines)
    for line in lines:
        if _DATE_LABEL.search(line.text):
            out.put("date", parse_date(line.text), line, 1.0)
    for line in lines:  # an unlabelled date: the first one printed
        out.put("date", parse_date(line.text), line, 0.8)
    _total(out, lines)
    return out


def _merchant(out: Extraction, lines: Sequence[Line]) -> None:
    for line in lines:
        if found := _MERCHANT_LABEL.search(line.text):
            out.put("merchant", found.group(1), line, 1.0)
            return
    # Unlabelled: the shop's name heads the receipt, above the title and the items.
    for line in lines[:4]:
        if len(_CJK.findall(line.text)) >= 2 and not _NOT_A_MERCHANT.search(line.text):
            out.put("merchant", line.text, line, 0.6)
            return


def _total(out: Extraction, lines: Sequence[Line]) -> None:
    for label, certainty in _TOTAL_LABELS:
        for line in lines:
            if label.search(line.text) and (values := money_values(label.split(line.text)[-1])):
                out.put("total", as_number(values[0]), line, certainty)
                return
    # No label read: the largest amount on the receipt is most often the total.
    amounts = [(value, line) for line in lines for value in money_values(line.text)]
    if amounts:
        value, line = max(amounts, key=lambda pair: pair[0])
        out.put("total", as_number(value), line, 0.5)
