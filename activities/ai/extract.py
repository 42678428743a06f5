"""Simple rules that read fields out of free text: amounts, dates, days, cities.

Good enough for chat messages ("出差北京3天，报销1260元") and request descriptions; the OCR
activity reads documents properly.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_AMOUNT = re.compile(
    r"(?:(?:[¥￥]|RMB|CNY)\s*(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?))"
    r"|(?:(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s*(?:元|块|RMB|CNY))"
)
_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})")
_DAYS = re.compile(r"(?<![\d.,])(?P<n>\d{1,3})\s*(?:天|days?\b)")
CITIES = (
    "北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "重庆", "武汉", "西安", "天津", "苏州",
    "长沙", "郑州", "青岛", "厦门", "合肥", "济南", "沈阳", "大连", "昆明", "福州", "宁波", "香港",
)  # fmt: skip


def extract_fields(text: str) -> dict[str, Any]:
    """``amount`` (the first amount with a currency sign or unit), ``date`` (ISO), ``days``,
    ``city``: whichever the text states."""
    fields: dict[str, Any] = {}
    if amount := _AMOUNT.search(text):
        figures = (amount.group("a") or amount.group("b")).replace(",", "")
        value = float(figures)
        fields["amount"] = int(value) if value.is_integer() else value
    for found in _DATE.finditer(text):
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            continue
        fields["date"] = day.isoformat()
        break
    if days := _DAYS.search(text):
        fields["days"] = int(days.group("n"))
    cities = sorted((text.find(c), c) for c in CITIES if c in text)
    if cities:
        fields["city"] = cities[0][1]
    return fields
