"""Amounts in Chinese capital numerals (大写) as invoices print them: 壹万贰仟叁佰圆陆角柒分."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

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
CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Variant forms OCR (and some printers) use for a capital digit: read as the standard one.
_VARIANTS = str.maketrans({"参": "叁", "弍": "贰", "〇": "零"})
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


def amount_in_words(value: Decimal) -> str:
    """大写 as invoices print it (壹万零叁拾圆伍角, 捌佰圆整): the inverse of the parser."""
    cents = int((value * 100).to_integral_value(ROUND_HALF_UP))
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    words = _integer_words(yuan) + "圆" if yuan else ""
    if jiao == 0 and fen == 0:
        return words + "整"
    if jiao:
        words += CAPITAL_DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += CAPITAL_DIGITS[fen] + "分"
    return words


def _integer_words(n: int) -> str:
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    out = ""
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            continue
        if out and section < 1000:
            out += "零"
        out += _section_words(section) + ("", "万", "亿")[index]
    return out


def _section_words(n: int) -> str:
    out, zero = "", False
    for unit, div in (("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)):
        digit = n // div % 10
        if digit:
            out += ("零" if zero and out else "") + CAPITAL_DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return out


def canonical_words(text: str) -> str:
    """The words with variant digit forms (参, 弍, 〇) replaced by the standard capitals."""
    return text.translate(_VARIANTS)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings: the 大写 of one amount)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
