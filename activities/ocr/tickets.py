"""Travel documents and hotel bills: taxi invoices (出租汽车专用发票), railway e-tickets (铁路电子客
票), air itineraries (航空运输电子客票行程单) and hotel folios (宾客账单).

Lines arrive normalised (``fields.normalize``: ASCII punctuation, no spaces). Each kind reads its
own labelled fields; ``total`` is always the amount paid, so a claim is compared with one field
whatever the document. A figure read without its label is a guess, with less certainty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from activities.ocr.fields import Extraction, as_number, money_values, parse_date
from activities.ocr.reader import Line

_CODE = re.compile(r"发票代码:?(\d{10,12})(?!\d)")
_NUMBER = re.compile(r"发票号码:?(\d{8,20})(?!\d)")
_PLATE = re.compile(r"(?:车号|车牌号?):?([\u4e00-\u9fff][A-Z][A-Z0-9]{5,6})")
_TIME = re.compile(r"(上车|下车):?(\d{1,2}:\d{2})")
_DISTANCE = re.compile(r"里程:?(\d+(?:\.\d+)?)(?:km|公里)?", re.IGNORECASE)
_TAXI_TOTAL = re.compile(r"(?:实收金额|金额|合计|总计)\(?元?\)?:?")
_TRAIN = re.compile(r"(?<![A-Z0-9])([GDCZTKYL]\d{1,4})(?![0-9])")
_STATIONS = re.compile(r"([\u4e00-\u9fff]{2,8}站)")
_TICKET = re.compile(r"(?:电子客票号|客票号|电子客票号码|票号):?([0-9A-Z]{10,24})")
_SEAT = re.compile(r"(商务座|一等座|二等座|特等座|硬卧|软卧|硬座|无座|二等卧)")
_FARE = re.compile(r"(?:票价|票款):?")
# A name is two to four characters, and on one line with the next label once spaces are gone.
_NAME = r"([\u4e00-\u9fff]{2,4}?)(?=电子|房号|航班|日期|证件|身份|$|[^\u4e00-\u9fff])"
_PASSENGER = re.compile(rf"(?:旅客姓名|乘客姓名|姓名)(?:NAME)?:?{_NAME}")
_FLIGHT = re.compile(r"(?:航班号?|FLIGHT)(?:NO\.?)?:?([A-Z0-9]{2}\d{3,4})(?![0-9])", re.I)
_AIR_TOTAL = re.compile(r"(?:合计|TOTAL)")
# What an itinerary adds to the fare: its total is fare + fund + fuel surcharge.
_AIR_EXTRAS = re.compile(r"(?:民航发展基金|机场建设费|燃油附加费)")
# The cross-check's tolerance and what a fare that does not add up is worth.
CENT = 0.01
UNCHECKED_FARE = 0.5
_HOTEL_NAME = re.compile(r"([\u4e00-\u9fff]{2,16}(?:酒店|宾馆|饭店|大酒店|旅馆|客栈))")
_ARRIVAL = re.compile(r"(?:入住日期|入住|到店日期|到达日期|ARRIVAL)")
_DEPARTURE = re.compile(r"(?:离店日期|离店|退房日期|DEPARTURE)")
_NIGHTS = re.compile(r"(?:入住)?(?:天数|晚数|间夜)(?:数)?:?(\d{1,3})")
_HOTEL_TOTAL = re.compile(r"(?:消费合计|费用合计|合计|总计|TOTAL|BALANCE)", re.IGNORECASE)
_GUEST = re.compile(rf"(?:宾客姓名|客人姓名|住客姓名|姓名)(?:NAME)?:?{_NAME}")


def _labelled_total(out: Extraction, lines: Sequence[Line], label: re.Pattern[str]) -> None:
    for line in lines:
        if label.search(line.text) and (values := money_values(label.split(line.text)[-1])):
            out.put("total", as_number(values[-1]), line, 1.0)
            return
    amounts = [(value, line) for line in lines for value in money_values(line.text)]
    if amounts:  # unlabelled: the largest figure is most often the amount paid
        value, line = max(amounts, key=lambda pair: pair[0])
        out.put("total", as_number(value), line, 0.5)


def _header(out: Extraction, line: Line) -> None:
    if found := _CODE.search(line.text):
        out.put("invoice_code", found.group(1), line, 1.0)
    if found := _NUMBER.search(line.text):
        out.put("invoice_number", found.group(1), line, 1.0)


def extract_taxi(lines: Sequence[Line]) -> Extraction:
    out = Extraction("taxi_invoice")
    for line in lines:
        _header(out, line)
        if found := _PLATE.search(line.text):
            out.put("plate", found.group(1), line, 1.0)
        for which, clock in _TIME.findall(line.text):
            out.put("pickup_time" if which == "上车" else "dropoff_time", clock, line, 1.0)
        if found := _DISTANCE.search(line.text):
            out.put("distance_km", float(found.group(1)), line, 1.0)
        if "日期" in line.text:
            out.put("date", parse_date(line.text), line, 1.0)
    for line in lines:
        out.put("date", parse_date(line.text), line, 0.8)
    _labelled_total(out, lines, _TAXI_TOTAL)
    return out


def extract_train(lines: Sequence[Line]) -> Extraction:
    out = Extraction("train_ticket")
    for line in lines:
        _header(out, line)
        if found := _TICKET.search(line.text):
            out.put("ticket_number", found.group(1), line, 1.0)
        stations = _STATIONS.findall(line.text)
        if len(stations) >= 2:
            out.put("from_station", stations[0], line, 1.0)
            out.put("to_station", stations[1], line, 1.0)
        if (found := _TRAIN.search(line.text)) and ("站" in line.text or "车次" in line.text):
            out.put("train", found.group(1), line, 1.0)
        if found := _SEAT.search(line.text):
            out.put("seat_class", found.group(1), line, 1.0)
        if found := _PASSENGER.search(line.text):
            out.put("passenger", found.group(1), line, 1.0)
        out.put("date", parse_date(line.text), line, 1.0)
    _labelled_total(out, lines, _FARE)
    return out


def extract_air(lines: Sequence[Line]) -> Extraction:
    out = Extraction("air_itinerary")
    for line in lines:
        _header(out, line)
        if found := _TICKET.search(line.text):
            out.put("ticket_number", found.group(1), line, 1.0)
        if found := _PASSENGER.search(line.text):
            out.put("passenger", found.group(1), line, 1.0)
        if found := _FLIGHT.search(line.text):
            out.put("flight", found.group(1).upper(), line, 1.0)
        out.put("date", parse_date(line.text), line, 1.0)
        if "票价" in line.text and (values := money_values(line.text)):
            out.put("fare", as_number(values[0]), line, 1.0)
    _labelled_total(out, lines, _AIR_TOTAL)
    _check_fare(out, lines)
    return out


def _check_fare(out: Extraction, lines: Sequence[Line]) -> None:
    """Fare + fund + fuel surcharge must make the total. A dim photo can read "1,660.00" as
    "1.65": the total still reads right, so without this check the fare would be trusted wrong;
    with it the document goes to a person (``fare_sum_mismatch``)."""
    fare, total = out.fields.get("fare"), out.fields.get("total")
    if fare is None or total is None:
        return
    extras = [
        as_number(values[0])
        for line in lines
        for piece in _AIR_EXTRAS.split(line.text)[1:]  # each label's own figure
        if (values := money_values(piece))
    ]
    if abs(float(fare.value) + sum(extras) - float(total.value)) > CENT:
        out.fields["fare"] = fare.scaled(UNCHECKED_FARE)
        out.flags.append("fare_sum_mismatch")


def extract_hotel(lines: Sequence[Line]) -> Extraction:
    out = Extraction("hotel_folio")
    for line in lines:
        if found := _HOTEL_NAME.search(line.text):
            out.put("hotel", found.group(1), line, 1.0)
        if found := _GUEST.search(line.text):
            out.put("guest", found.group(1), line, 1.0)
        if _ARRIVAL.search(line.text):
            out.put("check_in", parse_date(_ARRIVAL.split(line.text, maxsplit=1)[-1]), line, 1.0)
        if _DEPARTURE.search(line.text):
            after = _DEPARTURE.split(line.text, maxsplit=1)[-1]
            out.put("check_out", parse_date(after), line, 1.0)
        if found := _NIGHTS.search(line.text):
            out.put("nights", int(found.group(1)), line, 1.0)
    _labelled_total(out, lines, _HOTEL_TOTAL)
    return out
