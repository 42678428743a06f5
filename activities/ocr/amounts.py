"""Amounts in Chinese capital numerals (大写) as invoices print them: 壹万贰仟叁佰圆陆角柒分."""

from __future__ import annotations

import re
from decimal import Decimal

DIGITS = {
    **dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True)),
    **dict(zip("〇一二三四五六七八九", range(10), strict=True)),
    "两": 2,
    "参": 3,
}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000, "十": 10, "百": 100, "千": 1000}
SECTION_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
YUAN = "圆元"
CENT = Decimal("0.01")
WORD_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(SECTION_UNITS) + YUAN + "角分整正"
# A run of amount words, as OCR finds it inside a longer line.
WORDS_RUN = re.compile(f"[{WORD_CHARS}]{{2,}}")


def parse_amount_in_words(text: str) -> Decimal | None:
    """The amount, or None when the words do not form one (OCR noise, a stray character)."""
    text = text.removeprefix("人民币").rstrip("整正")
    integer_part, _, fraction_part = _split_yuan(text)
    if not integer_part and not fraction_part:
        return None
    integer = _parse_integer(integer_part) if integer_part else 0
    fraction = _parse_fraction(fraction_part)
    if integer is None or fraction is None:
        return None
    return (Decimal(integer) + fraction).quantize(CENT)


def _split_yuan(text: str) -> tuple[str, str, str]:
    for mark in YUAN:
        head, sep, tail = text.partition(mark)
        if sep:
            return head, sep, tail
    if "角" in text or "分" in text:
        return "", "", text
    return text, "", ""


def _parse_integer(text: str) -> int | None:
    total = section = digit = 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            # "拾" alone (拾圆) means ten; 大写 writes 壹拾 but people and receipts do not.
            section += (digit or 1) * SMALL_UNITS[ch]
            digit = 0
        elif ch in SECTION_UNITS:
            unit = SECTION_UNITS[ch]
            if unit > 10**4:  # 亿 closes everything read so far
                total = (total + section + digit) * unit
            else:
                total += (section + digit) * unit
            section = digit = 0
        else:
            return None
    return total + section + digit


def _parse_fraction(text: str) -> Decimal | None:
    text = text.lstrip("零").rstrip("整正")
    if not text:
        return Decimal("0.00")
    found = re.fullmatch(r"(?:(.)角)?零?(?:(.)分)?", text)
    if found is None:
        return None
    jiao, fen = found.group(1), found.group(2)
    if (jiao is not None and jiao not in DIGITS) or (fen is not None and fen not in DIGITS):
        return None
    cents = 10 * DIGITS.get(jiao or "零", 0) + DIGITS.get(fen or "零", 0)
    return Decimal(cents) / 100
