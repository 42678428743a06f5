"""Taxi invoices, railway e-tickets, air itineraries and hotel folios drawn for the OCR tests and
bench (seeded values, known truth), and the distortions of photos as they arrive: rotated a
quarter or half turn, skewed, creased, dim."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from tests.ocr.documents import _CITIES, Doc, _date

_PROVINCES = "京沪粤浙苏川鄂"
_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "军")
_STATIONS = ("上海虹桥", "北京南", "杭州东", "南京南", "深圳北", "广州南", "武汉", "成都东")
_HOTELS = ("和平", "锦江", "金陵", "白天鹅", "西湖", "东方", "华美达", "维也纳")
# Kinds, and distortions of a photo (``distort``): in the tests and the accuracy table.
KINDS = ("taxi_invoice", "train_ticket", "air_itinerary", "hotel_folio")
DISTORTIONS = ("clean", "rotated_90", "rotated_180", "skewed", "creased", "dim")
# Beyond reading: what must go to a person (the bottom of the page outside the photo).
UNREADABLE = ("cut_off",)
# Worse than the six above: read whole if they can be, else handed to a person with the reason,
# never trusted wrong.
HARSH = ("very_dim", "blurred")


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def make_taxi(rng: random.Random) -> Doc:
    day = _date(rng)
    start = rng.randrange(7 * 60, 21 * 60)
    minutes = rng.randrange(8, 50)
    km = Decimal(rng.randrange(20, 300)) / 10
    total = (Decimal("13") + km * Decimal("2.5")).quantize(Decimal("1"))
    plate = rng.choice(_PROVINCES) + rng.choice("ABCDE") + f"{rng.randrange(10000, 99999)}"
    truth = {
        "invoice_code": "".join(rng.choice("0123456789") for _ in range(12)),
        "invoice_number": "".join(rng.choice("0123456789") for _ in range(8)),
        "plate": plate,
        "date": day.isoformat(),
        "pickup_time": f"{start // 60:02d}:{start % 60:02d}",
        "dropoff_time": f"{(start + minutes) // 60:02d}:{(start + minutes) % 60:02d}",
        "distance_km": float(km),
        "total": float(total),
    }
    doc = Doc("taxi_invoice", 520, 700, truth=truth)
    doc.text(60, 20, f"{rng.choice(_CITIES)}市出租汽车专用发票", 30)
    doc.text(40, 90, f"发票代码：{truth['invoice_code']}")
    doc.text(40, 130, f"发票号码：{truth['invoice_number']}")
    doc.text(40, 190, f"车号：{plate}")
    doc.text(40, 240, f"日期：{day.isoformat()}")
    doc.text(40, 290, f"上车：{truth['pickup_time']}")
    doc.text(280, 290, f"下车：{truth['dropoff_time']}")
    doc.text(40, 340, "单价：2.50元")
    doc.text(40, 390, f"里程：{km}km")
    doc.text(40, 440, f"等候：00:0{rng.randrange(0, 9)}:00")
    doc.text(40, 510, f"金额：¥{total:.2f}", 26)
    doc.text(140, 620, "谢谢乘坐", 18)
    return doc


def make_train(rng: random.Random) -> Doc:
    day = _date(rng)
    origin, destination = rng.sample(_STATIONS, 2)
    train = rng.choice("GD") + str(rng.randrange(1, 2000))
    fare = Decimal(rng.randrange(5000, 120000)) / 100
    seat = rng.choice(("二等座", "一等座", "商务座"))
    passenger = _name(rng)
    truth = {
        "ticket_number": "E" + "".join(rng.choice("0123456789") for _ in range(13)),
        "from_station": f"{origin}站",
        "to_station": f"{destination}站",
        "train": train,
        "seat_class": seat,
        "passenger": passenger,
        "date": day.isoformat(),
        "total": float(fare),
    }
    doc = Doc("train_ticket", 900, 520, truth=truth)
    doc.text(300, 20, "铁路电子客票", 32)
    doc.text(40, 90, f"电子客票号：{truth['ticket_number']}")
    doc.text(60, 160, f"{origin}站", 30)
    doc.text(380, 160, train, 30)
    doc.text(600, 160, f"{destination}站", 30)
    doc.text(40, 240, f"{day.year}年{day.month:02d}月{day.day:02d}日 08:{rng.randrange(10, 59)}开")
    doc.text(480, 240, f"{rng.randrange(1, 16):02d}车{rng.randrange(1, 20):02d}A号")
    doc.text(40, 300, seat)
    doc.text(40, 350, f"票价：¥{fare:.2f}")
    doc.text(40, 410, f"旅客姓名：{passenger}")
    doc.text(40, 470, "中国铁路祝您旅途愉快", 18)
    return doc


def make_air(rng: random.Random) -> Doc:
    day = _date(rng)
    fare = Decimal(rng.randrange(300, 4000))
    fund, fuel = Decimal(50), Decimal(rng.choice((0, 20, 30, 60)))
    passenger = _name(rng)
    truth = {
        "passenger": passenger,
        "ticket_number": "".join(rng.choice("0123456789") for _ in range(13)),
        "flight": rng.choice(("CA", "MU", "CZ", "HU", "ZH")) + str(rng.randrange(1000, 9999)),
        "date": day.isoformat(),
        "fare": float(fare),
        "total": float(fare + fund + fuel),
    }
    doc = Doc("air_itinerary", 900, 560, truth=truth)
    doc.text(220, 20, "航空运输电子客票行程单", 32)
    doc.text(40, 90, f"旅客姓名：{passenger}")
    doc.text(480, 90, f"电子客票号码：{truth['ticket_number']}")
    doc.text(40, 160, f"航班：{truth['flight']}")
    doc.text(480, 160, f"日期：{day.isoformat()}")
    doc.text(40, 230, f"{rng.choice(_CITIES)} - {rng.choice(_CITIES)}    经济舱")
    doc.text(40, 300, f"票价：¥{fare:,.2f}")
    doc.text(40, 350, f"民航发展基金：¥{fund:.2f}")
    doc.text(480, 350, f"燃油附加费：¥{fuel:.2f}")
    doc.text(40, 420, f"合计：¥{fare + fund + fuel:,.2f}", 26)
    return doc


def make_hotel(rng: random.Random) -> Doc:
    arrival = _date(rng)
    nights = rng.randrange(1, 5)
    departure = arrival.fromordinal(arrival.toordinal() + nights)
    rate = Decimal(rng.randrange(250, 900))
    hotel = rng.choice(_CITIES) + rng.choice(_HOTELS) + rng.choice(("酒店", "大酒店", "宾馆"))
    guest = _name(rng)
    truth = {
        "hotel": hotel,
        "guest": guest,
        "check_in": arrival.isoformat(),
        "check_out": departure.isoformat(),
        "nights": nights,
        "total": float(rate * nights),
    }
    doc = Doc("hotel_folio", 800, 640, truth=truth)
    doc.text(240, 20, hotel, 32)
    doc.text(320, 80, "宾客账单")
    doc.text(40, 140, f"宾客姓名：{guest}")
    doc.text(440, 140, f"房号：{rng.randrange(201, 1999)}")
    doc.text(40, 190, f"入住日期：{arrival.isoformat()}")
    doc.text(440, 190, f"离店日期：{departure.isoformat()}")
    doc.text(40, 240, f"天数：{nights}")
    y = 300
    for n in range(nights):
        stay = arrival.fromordinal(arrival.toordinal() + n)
        doc.text(40, y, f"{stay.isoformat()}  房费  {rate:.2f}", 18)
        y += 36
    doc.text(40, y + 30, f"消费合计：¥{rate * nights:.2f}", 24)
    return doc


MAKERS = {
    "taxi_invoice": make_taxi,
    "train_ticket": make_train,
    "air_itinerary": make_air,
    "hotel_folio": make_hotel,
}


def travel_batch(kind: str, count: int, seed: int) -> list[Doc]:
    rng = random.Random(seed)
    return [MAKERS[kind](rng) for _ in range(count)]


def distort(image: Image.Image, distortion: str, rng: random.Random) -> Image.Image:
    """A photo of the drawn page as it may arrive."""
    if distortion == "rotated_90":
        return image.rotate(rng.choice((90, 270)), expand=True)
    if distortion == "rotated_180":
        return image.rotate(180, expand=True)
    if distortion == "skewed":  # the camera not square to the page: a shear and a small tilt
        shear = rng.uniform(0.08, 0.14) * rng.choice((-1, 1))
        width = image.width + round(abs(shear) * image.height)
        sheared = image.transform(
            (width, image.height),
            Image.Transform.AFFINE,
            (1, shear, -abs(shear) * image.height if shear > 0 else 0, 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
            fillcolor="white",
        )
        angle = rng.uniform(1.5, 3.0) * rng.choice((-1, 1))
        return sheared.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
        )
    if distortion == "creased":  # folded in four: shaded bands along the folds, a grey cast
        creased = image.copy()
        pen = ImageDraw.Draw(creased, "RGBA")
        for x in (image.width // 2 + rng.randrange(-30, 30),):
            pen.rectangle((x - 6, 0, x + 6, image.height), fill=(90, 90, 90, 70))
            pen.line((x, 0, x, image.height), fill=(60, 60, 60, 140), width=2)
        y = image.height // 2 + rng.randrange(-30, 30)
        pen.rectangle((0, y - 6, image.width, y + 6), fill=(90, 90, 90, 70))
        pen.line((0, y, image.width, y), fill=(60, 60, 60, 140), width=2)
        return ImageEnhance.Brightness(creased).enhance(0.9).filter(ImageFilter.GaussianBlur(0.6))
    if distortion == "cut_off":  # the photo misses the bottom third of the page
        return image.crop((0, 0, image.width, round(image.height * 0.62)))
    if distortion == "very_dim":  # a phone's photo at night: the print barely above the paper
        dark = ImageEnhance.Contrast(image).enhance(0.18)
        dark = ImageEnhance.Brightness(dark).enhance(0.25)
        return Image.blend(dark, _noise(image.size, 40, rng), 0.12)
    if distortion == "blurred":  # a shaking hand: the strokes smeared sideways, out of focus
        smeared = image.filter(ImageFilter.BoxBlur(3)).filter(ImageFilter.GaussianBlur(1.6))
        return smeared.resize((image.width // 2, image.height // 2)).resize(image.size)
    if distortion == "dim":  # a dark room: low light, low contrast, sensor noise
        dark = ImageEnhance.Contrast(image).enhance(0.45)
        dark = ImageEnhance.Brightness(dark).enhance(0.42)
        return Image.blend(dark, _noise(image.size, 25, rng), 0.08)
    return image


def _noise(size: tuple[int, int], sigma: float, rng: random.Random) -> Image.Image:
    """Sensor noise, seeded (``Image.effect_noise`` is not: a test would read another photo
    each run)."""
    grey = np.random.default_rng(rng.randrange(2**32)).normal(128, sigma, (size[1], size[0]))
    return Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).convert("RGB")
