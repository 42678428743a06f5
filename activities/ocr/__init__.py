"""OCR of invoices and receipts: the ``ocr`` activity and the readers and extractors it runs."""

from activities.ocr.activity import init_ocr_process, ocr

__all__ = ["init_ocr_process", "ocr"]
