"""Offline OCR for screenshots (rapidocr-onnxruntime: the PP-OCR Chinese models ship inside the wheel).

Loaded on first use (~0.5 s), one image at a time (the ONNX session is not shared across threads); images are
checked and shrunk before reading so a huge or broken file costs little.
"""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
MAX_BYTES = 10_000_000
MAX_SIDE = 2000
MAX_PIXELS = 40_000_000
MIN_CONFIDENCE = 0.5


class OcrReader:
    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR()
        return self._engine

    def read(self, data: bytes) -> str:
        """The text on the image, line by line; "" when nothing can be read (not an image, blank, too big)."""
        if not data or len(data) > MAX_BYTES:
            return ""
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_PIXELS:  # a decompression bomb: refuse before decoding
                    return ""
                im.load()
                img = im.convert("RGB")
        except Exception:  # Pillow raises many kinds for broken or hostile files
            log.info("image could not be decoded")
            return ""
        if max(img.size) > MAX_SIDE:
            img.thumbnail((MAX_SIDE, MAX_SIDE))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        with self._lock:
            try:
                result, _ = self._load()(buf.getvalue())
            except Exception:
                log.exception("OCR failed")
                return ""
        lines = [str(text) for _box, text, conf in (result or []) if float(conf) >= MIN_CONFIDENCE]
        return "\n".join(line.strip() for line in lines if line.strip())
