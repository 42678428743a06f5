"""Documents to lines of text: a PDF's text layer first, OCR (RapidOCR) for scans and images.

Every line carries a score in 0..1: 1.0 for a text layer, the recogniser's lowest box score for
OCR (a line is as trustworthy as its weakest part). Blocking and CPU-bound: runs in the OCR
process pool.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shenpi.blobs import sniff_content_type

# PDF pages are rendered at 72 dpi × this scale: 3 ≈ 216 dpi, enough for 9-pt invoice print.
RENDER_SCALE = 3.0
# A page whose text layer has fewer characters than this is treated as a scan.
MIN_TEXT_LAYER_CHARS = 8
# Small photos are scaled up to this width first: PP-OCR's detector misses tiny glyphs.
MIN_IMAGE_WIDTH = 1200
MAX_PAGES = 50  # a bound on work per document; invoices and receipts have one or two pages
# Bounds on memory: a small file can decode into a huge bitmap (a decompression bomb), and a PDF
# page can be metres wide. Larger images are refused; large pages are rendered at a lower scale.
MAX_IMAGE_PIXELS = 60_000_000
MAX_RENDER_PIXELS = 30_000_000

Source = Literal["text_layer", "ocr"]


class UnreadableDocumentError(ValueError):
    """The bytes are not a PDF, image or text this reader can open."""


@dataclass(frozen=True)
class Line:
    text: str
    score: float


@dataclass
class Reading:
    lines: list[Line] = field(default_factory=list)
    pages: int = 0
    source: Source = "text_layer"

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


_engine_threads = -1  # onnxruntime's default: one thread per core

# RapidOCR settings. "baseline" is the package's defaults (how pages were read before; the bench
# compares against it in the same run). "fast", the default: the detector sees the page with its
# longer side at most DETECT_SIDE pixels (the shipped PP-OCRv6 small detector still finds 9-pt
# print at that size; the recogniser reads the boxes from the full-size image), the recogniser
# takes one line at a time (REC_BATCH: on one thread a batch is padded to its widest line, which
# costs more than it saves), and the per-line direction classifier is off (a page upside down or
# sideways is turned as a whole instead, in ``ocr_image``). docs/documents.md has the numbers.
# 736 (PaddleOCR's own detection size) rather than 960: a third less CPU per page, and the same
# fields read on the bench's pages and the accuracy tests (docs/benchmarks.md).
DETECT_SIDE = 736
REC_BATCH = 1
PROFILES: dict[str, dict[str, Any]] = {
    "baseline": {},
    "fast": {
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_SIDE,
        "Rec.rec_batch_num": REC_BATCH,
        "Global.use_cls": False,
    },
    # The previous default, kept for the bench's before/after.
    "fast_960": {
        "Det.limit_type": "max",
        "Det.limit_side_len": 960,
        "Rec.rec_batch_num": REC_BATCH,
        "Global.use_cls": False,
    },
}
_profile = "fast"


def set_engine_threads(threads: int) -> None:
    """Threads each OCR process may use: a pool of N processes on C cores gives each C / N."""
    global _engine_threads
    _engine_threads = threads


def set_profile(name: str) -> None:
    """Read with another of ``PROFILES`` from now on (the bench's before/after; each profile's
    engine is loaded once and kept)."""
    global _profile
    if name not in PROFILES:
        raise ValueError(f"no OCR profile {name!r}")
    _profile = name


def ocr_engine() -> Any:
    """One RapidOCR per process and profile: loading its models takes about a second."""
    return _engine(_profile, _engine_threads)


@cache
def _engine(profile: str, threads: int) -> Any:
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            **PROFILES[profile],
        }
    )


def read_document(data: bytes, *, on_page: Callable[[], None] = lambda: None) -> Reading:
    """All lines of a document, page by page; ``on_page`` is called after each (heartbeats)."""
    content_type = sniff_content_type(data)
    if content_type == "application/pdf":
        return _read_pdf(data, on_page)
    if content_type == "text/plain":
        text = data.decode("utf-8")
        return Reading([Line(t.strip(), 1.0) for t in text.splitlines() if t.strip()], 1)
    if content_type is None:
        raise UnreadableDocumentError("not a PDF, image or UTF-8 text")
    if content_type == "application/ofd":  # digital.read_digital reads what an OFD holds
        raise UnreadableDocumentError("an OFD package with neither invoice data nor page text")
    reading = Reading(source="ocr")
    for image in _frames(data):
        reading.lines += ocr_image(image)
        reading.pages += 1
        on_page()
    return reading


def _frames(data: bytes) -> Iterator[Image.Image]:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise UnreadableDocumentError(f"the image is too large ({image.width}×{image.height})")
        for index in range(min(getattr(image, "n_frames", 1), MAX_PAGES)):
            image.seek(index)  # multi-page TIFF
            yield ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as err:
        raise UnreadableDocumentError(f"cannot open the image: {err}") from err


def _read_pdf(data: bytes, on_page: Callable[[], None]) -> Reading:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise UnreadableDocumentError(f"cannot open the PDF: {err}") from err
    reading = Reading()
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            text = page.get_textpage().get_text_range()
            if len(text.strip()) >= MIN_TEXT_LAYER_CHARS:
                reading.lines += [Line(t.strip(), 1.0) for t in text.splitlines() if t.strip()]
            else:
                reading.source = "ocr"
                width, height = page.get_size()
                scale = min(RENDER_SCALE, math.sqrt(MAX_RENDER_PIXELS / max(1.0, width * height)))
                image = page.render(scale=scale).to_pil().convert("RGB")
                reading.lines += ocr_image(image)
            reading.pages += 1
            on_page()
    finally:
        pdf.close()
    return reading


def ocr_image(image: Image.Image) -> list[Line]:
    """The image's text as lines, top to bottom, each line's boxes left to right.

    A dim or washed-out photo is stretched to full contrast first; a page photographed sideways
    or upside down (most text boxes standing upright, or little read with low scores) is read
    again turned, and the turn that reads best is kept."""
    if image.width < MIN_IMAGE_WIDTH:
        factor = MIN_IMAGE_WIDTH / image.width
        size = (MIN_IMAGE_WIDTH, round(image.height * factor))
        image = image.resize(size, Image.Resampling.LANCZOS)
    image = _lit(image)
    lines, upright = _read(image)
    if upright > UPRIGHT_SHARE:
        # Sideways: the recogniser still reads the upright boxes as vertical text, so the
        # sideways reading is not a candidate; one of the quarter turns is the page.
        readings = [_read(image.rotate(angle, expand=True))[0] for angle in (90, 270)]
        lines = max(readings, key=_strength)
    if _weak(lines):
        turned, _ = _read(image.rotate(180, expand=True))
        if _strength(turned) > _strength(lines):
            lines = turned
    return lines


UPRIGHT_SHARE = 0.5  # of the text boxes standing upright: the page is sideways
DIM_LUMINANCE = 110  # mean grey level below which a photo is taken as dim
FLAT_CONTRAST = 45  # grey-level spread below which a photo is taken as washed out
WEAK_SCORE = 0.8  # a page read with a mean score below this may be upside down


def _lit(image: Image.Image) -> Image.Image:
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    if grey.mean() < DIM_LUMINANCE or grey.std() < FLAT_CONTRAST:
        return ImageOps.autocontrast(image, cutoff=1)
    return image


def _read(image: Image.Image) -> tuple[list[Line], float]:
    """The lines, and the share of text boxes taller than wide."""
    result = ocr_engine()(np.asarray(image)[:, :, ::-1])  # RapidOCR wants BGR, like OpenCV
    if result.boxes is None or result.txts is None:
        return [], 0.0
    boxes = [np.asarray(b, dtype=float) for b in result.boxes]
    upright = sum(
        1 for b in boxes if np.linalg.norm(b[3] - b[0]) > 1.5 * np.linalg.norm(b[1] - b[0])
    ) / len(boxes)
    return assemble_lines(boxes, list(result.txts), [float(s) for s in result.scores]), upright


def _strength(lines: Sequence[Line]) -> float:
    return sum(len(line.text) * line.score for line in lines)


def _weak(lines: Sequence[Line]) -> bool:
    if not lines:
        return True
    return sum(line.score for line in lines) / len(lines) < WEAK_SCORE


def assemble_lines(
    boxes: Sequence[np.ndarray], texts: Sequence[str], scores: Sequence[float]
) -> list[Line]:
    """Boxes on one printed line become one line, even on a page scanned a few degrees askew.

    The detector returns one box per run of text; columns (buyer | seller) come back as separate
    boxes. Rows are found along the page's own tilt: the median angle of the boxes' top edges.
    """
    if not boxes:
        return []
    angle = statistics.median(math.atan2(b[1][1] - b[0][1], b[1][0] - b[0][0]) for b in boxes)
    sin, cos = math.sin(angle), math.cos(angle)
    items = []
    for box, text, score in zip(boxes, texts, scores, strict=True):
        cx, cy = box[:, 0].mean(), box[:, 1].mean()
        height = float(np.linalg.norm(box[3] - box[0]))
        # Coordinates in the page's own (tilted) frame: across the line, and along it.
        items.append((-cx * sin + cy * cos, cx * cos + cy * sin, height, text, score))
    items.sort(key=lambda item: item[0])
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for item in items:
        if rows and abs(item[0] - _row_center(rows[-1])) < 0.5 * max(item[2], rows[-1][0][2]):
            rows[-1].append(item)
        else:
            rows.append([item])
    lines = []
    for row in rows:
        row.sort(key=lambda item: item[1])
        lines.append(Line(" ".join(i[3] for i in row), min(i[4] for i in row)))
    return lines


def _row_center(row: Sequence[tuple[float, float, float, str, float]]) -> float:
    return sum(item[0] for item in row) / len(row)
