"""Extraction from lines of text, without OCR: patterns, cross-checks, confidence, line assembly."""

from __future__ import annotations

import io
import math
import random
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image

from activities.ocr.amounts import amount_in_words, parse_amount_in_words
from activities.ocr.fields import detect_kind, extract
from activities.ocr.invoice import uscc_valid
from activities.ocr.reader import Line, UnreadableDocumentError, assemble_lines, read_document
from tests.ocr.documents import uscc

INVOICE_LINES = [
    "上海增值税专用发票",
    "发票代码：3100212130  发票号码：04567890",
    "开票日期：2026年03月15日",
    "购买方 名称：北京星河科技有限公司 销售方 名称：上海云帆贸易有限公司",
    "纳税人识别号：{buyer} 纳税人识别号：{seller}",
    "合计 ¥8,849.56 ¥1,150.44",
    "价税合计（大写） {words} （小写）¥10,000.00",
]


def invoice_lines(words: str = "壹万圆整", score: float = 1.0) -> list[Line]:
    rng = random.Random(1)
    ids = {"buyer": uscc(rng), "seller": uscc(rng)}
    return [Line(text.format(words=words, **ids), score) for text in INVOICE_LINES]


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("壹万圆整", "10000.00"),
        ("壹万贰仟叁佰肆拾伍圆陆角柒分", "12345.67"),
        ("壹佰万零叁拾圆整", "1000030.00"),
        ("壹亿零伍佰万圆整", "105000000.00"),
        ("玖仟零捌圆零伍分", "9008.05"),
        ("伍角陆分", "0.56"),
        ("人民币拾圆整", "10.00"),
    ],
)
def test_amounts_in_words_parse_to_their_value(words: str, value: str) -> None:
    assert parse_amount_in_words(words) == Decimal(value)


def test_amounts_in_words_round_trip_over_a_seeded_range() -> None:
    rng = random.Random(4)
    for _ in range(2000):
        value = Decimal(rng.randrange(1, 10**11)) / 100
        assert parse_amount_in_words(amount_in_words(value)) == value


@pytest.mark.parametrize("noise", ["壹万X圆", "圆整", ""])
def test_words_that_are_not_an_amount_parse_to_none(noise: str) -> None:
    assert parse_amount_in_words(noise) is None


def test_invoice_fields_from_side_by_side_parties() -> None:
    out = extract(invoice_lines())
    values = {name: f.value for name, f in out.fields.items()}
    assert values["invoice_code"] == "3100212130"
    assert values["invoice_date"] == "2026-03-15"
    assert values["buyer_name"] == "北京星河科技有限公司"
    assert values["seller_name"] == "上海云帆贸易有限公司"
    assert (values["amount"], values["tax"], values["total"]) == (8849.56, 1150.44, 10000.0)
    assert values["total_in_words"] == "壹万圆整"
    assert out.flags == []


def test_confidence_is_the_line_score_times_the_pattern_certainty() -> None:
    out = extract(invoice_lines(score=0.9))
    assert out.fields["invoice_code"].confidence == pytest.approx(0.9)
    # 大写 and the figures agree: the total is as certain as its line.
    assert out.fields["total"].confidence == pytest.approx(0.9)


def test_words_that_disagree_with_the_figures_lower_both_and_raise_a_flag() -> None:
    out = extract(invoice_lines(words="壹万壹仟圆整"))
    assert "total_words_mismatch" in out.flags
    assert out.fields["total"].confidence == pytest.approx(0.45)
    assert out.fields["total_in_words"].confidence == pytest.approx(0.45)


def test_a_variant_capital_is_read_as_the_standard_one() -> None:
    out = extract(invoice_lines(words="参万圆整"))  # 参: an old form of 叁, and an OCR favourite
    assert out.flags == ["total_words_mismatch"]  # read as 30000, not as noise
    assert out.fields["total_in_words"].value == "叁万圆整"


def test_words_with_one_misread_character_are_repaired_from_the_figures() -> None:
    out = extract(invoice_lines(words="壹万圆角整", score=0.9))  # a stray 角: not an amount
    assert out.fields["total_in_words"].value == "壹万圆整"
    assert out.fields["total_in_words"].confidence == pytest.approx(0.72)
    assert out.flags == []


def test_total_is_recovered_from_the_words_when_the_figures_are_unreadable() -> None:
    lines = [line for line in invoice_lines() if "价税合计" not in line.text]
    lines.append(Line("价税合计（大写） 壹万圆整 （小写）¥1O,OOO.OO", 0.8))  # letters O, not zeros
    out = extract(lines)
    assert out.fields["total"].value == 10000.0
    assert out.fields["total"].confidence < 0.8


def test_stacked_party_blocks_are_read_by_their_markers() -> None:
    rng = random.Random(2)
    buyer, seller = uscc(rng), uscc(rng)
    lines = [
        Line(text, 1.0)
        for text in (
            "发票号码：12345678",
            "购买方",
            "名称：甲公司",
            f"纳税人识别号：{buyer}",
            "销售方",
            "名称：乙厂",
            f"纳税人识别号：{seller}",
        )
    ]
    fields = extract(lines, "vat_invoice").fields
    assert (fields["buyer_name"].value, fields["buyer_tax_id"].value) == ("甲公司", buyer)
    assert (fields["seller_name"].value, fields["seller_tax_id"].value) == ("乙厂", seller)


def test_party_blocks_with_vertical_markers_are_buyer_then_seller() -> None:
    rng = random.Random(5)
    buyer, seller = uscc(rng), uscc(rng)
    texts = ["购 名称：甲公司", f"买 纳税人识别号：{buyer}", "方", "销 名称：乙公司"]
    texts += [f"售 纳税人识别号：{seller}", "方", "货物或应税劳务名称 数量 金额"]
    fields = extract([Line(text, 1.0) for text in texts], "vat_invoice").fields
    assert (fields["buyer_name"].value, fields["buyer_tax_id"].value) == ("甲公司", buyer)
    assert (fields["seller_name"].value, fields["seller_tax_id"].value) == ("乙公司", seller)


def test_a_tax_id_failing_its_check_character_is_less_certain() -> None:
    good = uscc(random.Random(3))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert uscc_valid(good) and not uscc_valid(bad)
    fields = extract([Line("发票代码：1234567890", 1.0), Line(f"纳税人识别号：{bad}", 1.0)]).fields
    assert fields["buyer_tax_id"].confidence == 0.5


def test_receipt_total_prefers_the_amount_due_over_the_cash_handed_over() -> None:
    lines = [
        Line(text, 1.0)
        for text in (
            "星河便利店",
            "收银小票",
            "日期：2025-07-01 12:00",
            "合计：¥23.50",
            "实收：¥30.00",
        )
    ]
    out = extract(lines)
    assert out.kind == "receipt"
    values = {name: f.value for name, f in out.fields.items()}
    assert values == {"merchant": "星河便利店", "date": "2025-07-01", "total": 23.5}
    assert out.fields["merchant"].confidence == 0.6  # unlabelled: a guess from the layout


def test_text_without_invoice_or_receipt_marks_is_unknown_with_no_fields() -> None:
    lines = [Line("会议纪要", 1.0), Line("下周三讨论预算", 1.0)]
    assert detect_kind(lines) == "unknown"
    assert extract(lines).fields == {}


def test_boxes_of_a_tilted_page_are_assembled_into_their_printed_lines() -> None:
    angle = math.radians(4)

    def box(x: float, y: float, w: float = 300, h: float = 30) -> np.ndarray:
        corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
        cos, sin = math.cos(angle), math.sin(angle)
        rotated: np.ndarray = corners @ np.array([[cos, -sin], [sin, cos]]).T
        return rotated

    boxes = [box(600, 100), box(0, 100), box(0, 160), box(600, 160)]
    texts = ["销售方 名称：乙", "购买方 名称：甲", "识别号：A", "识别号：B"]
    lines = assemble_lines(boxes, texts, [0.9, 0.99, 0.95, 0.97])
    assert [line.text for line in lines] == [
        "购买方 名称：甲 销售方 名称：乙",
        "识别号：A 识别号：B",
    ]
    assert [line.score for line in lines] == [0.9, 0.95]


def test_plain_text_documents_are_read_line_by_line() -> None:
    reading = read_document("发票代码：1234567890\n\n金额：1.00\n".encode())
    assert [line.text for line in reading.lines] == ["发票代码：1234567890", "金额：1.00"]
    assert (reading.pages, reading.source) == (1, "text_layer")


def test_an_image_that_would_decode_into_a_huge_bitmap_is_unreadable() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 7_000)).save(out, format="PNG")  # 1 bit deep: small as a file
    with pytest.raises(UnreadableDocumentError, match="too large"):
        read_document(out.getvalue())
