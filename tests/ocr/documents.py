"""Invoices and receipts drawn for the OCR tests and bench: seeded values, known truth, many forms.

A document is a list of text runs placed on a page (``Doc``); it is drawn with Pillow and the Debian
CJK font as an image (clean or degraded), saved as PNG, JPEG, an image-only PDF (a scan) or a PDF
with a text layer (fpdf2).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from activities.ocr.amounts import amount_in_words
from activities.ocr.invoice import USCC_CHARS, USCC_WEIGHTS

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
VARIANTS = ("clean_png", "noisy_jpeg", "rotated_png", "lowres_png", "scan_pdf", "text_pdf")
# Harsher forms, for the bench: where accuracy starts to fall.
HARSH_VARIANTS = ("noisier_jpeg", "rotated_7_png", "lowres_30_png")

_CITIES = ("北京", "上海", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "广州", "西安")
_WORDS = ("星河", "云帆", "华辰", "中科", "金桥", "瑞丰", "恒通", "博远", "新锐", "鼎盛", "泰和")
_TRADES = ("科技", "贸易", "信息技术", "建筑工程", "文化传媒", "医疗器械", "物流", "餐饮管理")
_ITEMS = ("办公用品", "技术服务费", "咨询服务", "电子设备", "打印耗材", "会议服务", "软件许可")
_SHOPS = ("便利店", "超市", "餐厅", "咖啡馆", "书店", "药房")
_GOODS = ("矿泉水", "笔记本", "咖啡", "面包", "牛奶", "签字笔", "午餐套餐", "纸巾")


@dataclass
class Doc:
    kind: str
    width: int  # page size in units (1 unit = 1 px at scale 1)
    height: int
    runs: list[tuple[int, int, int, str]] = field(default_factory=list)  # x, y, size, text
    truth: dict[str, Any] = field(default_factory=dict)

    def text(self, x: int, y: int, text: str, size: int = 20) -> None:
        self.runs.append((x, y, size, text))


def uscc(rng: random.Random) -> str:
    """A 统一社会信用代码 with a valid check character."""
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(USCC_CHARS) for _ in range(9))
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def _money(value: Decimal, rng: random.Random) -> str:
    return f"{value:,.2f}" if rng.random() < 0.5 else f"{value:.2f}"


def _company(rng: random.Random) -> str:
    return rng.choice(_CITIES) + rng.choice(_WORDS) + rng.choice(_TRADES) + "有限公司"


def _date(rng: random.Random) -> date:
    return date(2024, 1, 1) + timedelta(days=rng.randrange(0, 1000))


def make_invoice(rng: random.Random) -> Doc:
    total = Decimal(rng.randrange(5_000, 9_999_999)) / 100
    rate = Decimal(rng.choice(("0.13", "0.09", "0.06")))
    amount = (total / (1 + rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    tax = total - amount
    day = _date(rng)
    truth: dict[str, Any] = {
        "invoice_code": "".join(rng.choice("0123456789") for _ in range(10)),
        "invoice_number": "".join(rng.choice("0123456789") for _ in range(8)),
        "invoice_date": day.isoformat(),
        "buyer_name": _company(rng),
        "buyer_tax_id": uscc(rng),
        "seller_name": _company(rng),
        "seller_tax_id": uscc(rng),
        "amount": float(amount),
        "tax": float(tax),
        "total": float(total),
        "total_in_words": amount_in_words(total),
    }
    doc = Doc("vat_invoice", 1000, 600, truth=truth)
    doc.text(300, 20, f"{rng.choice(_CITIES)}增值税专用发票", 34)
    doc.text(40, 90, f"发票代码：{truth['invoice_code']}")
    doc.text(620, 90, f"发票号码：{truth['invoice_number']}")
    doc.text(620, 125, f"开票日期：{day.year}年{day.month:02d}月{day.day:02d}日")
    doc.text(40, 180, f"购买方 名称：{truth['buyer_name']}")
    doc.text(520, 180, f"销售方 名称：{truth['seller_name']}")
    doc.text(40, 215, f"纳税人识别号：{truth['buyer_tax_id']}")
    doc.text(520, 215, f"纳税人识别号：{truth['seller_tax_id']}")
    doc.text(40, 280, "货物或应税劳务名称   数量      金额      税率      税额", 18)
    row = f"{rng.choice(_ITEMS)}         1     {amount:.2f}     {int(rate * 100)}%     {tax:.2f}"
    doc.text(40, 315, row, 18)
    doc.text(40, 380, "合计")
    doc.text(560, 380, f"¥{_money(amount, rng)}")
    doc.text(800, 380, f"¥{_money(tax, rng)}")
    doc.text(40, 440, f"价税合计（大写）  {truth['total_in_words']}")
    doc.text(680, 440, f"（小写）¥{_money(total, rng)}")
    doc.text(40, 540, "收款人：张敏    复核：李强    开票人：王芳", 18)
    return doc


def make_receipt(rng: random.Random) -> Doc:
    merchant = rng.choice(_WORDS) + rng.choice(_SHOPS)
    when = _date(rng)
    lines = [(rng.choice(_GOODS), Decimal(rng.randrange(300, 20000)) / 100) for _ in range(3)]
    total = sum((price for _, price in lines), Decimal("0"))
    paid = (total / 10).to_integral_value(ROUND_HALF_UP) * 10 + 10
    doc = Doc("receipt", 560, 640, truth={"merchant": merchant, "date": when.isoformat()})
    doc.truth["total"] = float(total)
    y = 20
    if rng.random() < 0.5:
        doc.text(150, y, merchant, 30)
        y += 60
        doc.text(200, y, "收银小票")
    else:
        doc.text(200, y, "收银小票", 28)
        y += 60
        doc.text(40, y, f"商户名称：{merchant}")
    clock = f"{rng.randrange(8, 22):02d}:{rng.randrange(60):02d}"
    doc.text(40, y + 50, f"日期：{when.isoformat()} {clock}")
    y += 110
    for name, price in lines:
        doc.text(40, y, name)
        doc.text(380, y, f"{price:.2f}")
        y += 40
    doc.text(40, y + 20, "合计：")
    doc.text(380, y + 20, f"¥{total:.2f}")
    doc.text(40, y + 65, "实收：")
    doc.text(380, y + 65, f"¥{paid:.2f}")
    doc.text(40, y + 110, "找零：")
    doc.text(380, y + 110, f"¥{paid - total:.2f}")
    doc.text(130, y + 180, "谢谢惠顾，欢迎再次光临")
    return doc


def draw(doc: Doc, scale: float = 1.6) -> Image.Image:
    image = Image.new("RGB", (round(doc.width * scale), round(doc.height * scale)), "white")
    pen = ImageDraw.Draw(image)
    for x, y, size, text in doc.runs:
        font = ImageFont.truetype(str(FONT), round(size * scale))
        pen.text((x * scale, y * scale), text, font=font, fill=(20, 20, 20))
    return image


def degrade(image: Image.Image, variant: str, rng: random.Random) -> Image.Image:
    if variant in ("noisy_jpeg", "noisier_jpeg"):
        strength, blur = (0.25, 0.8) if variant == "noisy_jpeg" else (0.45, 1.4)
        noise = Image.effect_noise(image.size, 60).convert("RGB")
        image = Image.blend(image, noise, strength).filter(ImageFilter.GaussianBlur(blur))
    elif variant in ("rotated_png", "rotated_7_png"):
        low, high = (2.0, 4.0) if variant == "rotated_png" else (6.0, 8.0)
        angle = rng.uniform(low, high) * rng.choice((-1, 1))
        image = image.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
        )
    elif variant in ("lowres_png", "lowres_30_png"):
        factor = 0.45 if variant == "lowres_png" else 0.30
        size = (round(image.width * factor), round(image.height * factor))
        image = image.resize(size, Image.Resampling.BOX)
    return image


def render(doc: Doc, variant: str, rng: random.Random) -> bytes:
    """The document's file in one of ``VARIANTS``."""
    if variant == "text_pdf":
        return _text_pdf(doc)
    image = degrade(draw(doc), variant, rng)
    out = io.BytesIO()
    if variant.endswith("_jpeg"):
        image.save(out, format="JPEG", quality=60)
    elif variant == "scan_pdf":
        image.save(out, format="PDF", resolution=150)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def _text_pdf(doc: Doc) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(doc.width * 0.6, doc.height * 0.6))
    pdf.add_font("wqy", fname=str(FONT))
    pdf.add_page()
    for x, y, size, text in doc.runs:
        pdf.set_font("wqy", size=size * 0.6)
        pdf.text(x * 0.6, (y + size) * 0.6, text)
    return bytes(pdf.output())


def batch(kind: str, count: int, seed: int) -> list[Doc]:
    rng = random.Random(seed)
    maker = make_invoice if kind == "vat_invoice" else make_receipt
    return [maker(rng) for _ in range(count)]
