"""Mask personal numbers before anything is stored: phones, ID numbers, bank cards, QQ/WeChat ids.

A masked value keeps its last 4 characters and a short salted hash, so a repeat (the same scam number in two
reports) can still be recognised without the raw value ever reaching the database or the logs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SEP = r"[ \-\u00a0]?"
# Order matters: the longest, most specific numbers first, so an ID number is not read as a phone.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("身份证", re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[0-9Xx](?![0-9A-Za-z])")),
    ("银行卡", re.compile(r"(?<!\d)(?:\d{4}" + _SEP + r"){2,3}\d{4}(?:" + _SEP + r"\d{1,3})?(?!\d)")),
    ("手机号", re.compile(r"(?<!\d)(?:\+?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?!\d)")),
    ("电话", re.compile(r"(?<!\d)0\d{2,3}" + _SEP + r"\d{7,8}(?!\d)")),
    ("QQ", re.compile(r"(?i)(?:qq|扣扣|企鹅)(?:号|号码)?\s*[:：]?\s*(\d{5,11})(?!\d)")),
    ("微信", re.compile(r"(?i)(?:微信|v信|vx|wx|weixin|wechat)(?:号)?\s*[:：]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})")),
    ("数字串", re.compile(r"(?<!\d)\d{11,}(?!\d)")),  # any other long digit run: account numbers and the like
)


_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in "，：；！？（）"}


@dataclass(frozen=True)
class Masked:
    kind: str  # 手机号, 身份证, …
    digest: str  # salted hash: the same value gives the same digest within one deployment
    last4: str


@dataclass(frozen=True)
class Redacted:
    text: str
    found: tuple[Masked, ...]


class Redactor:
    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("a redaction salt is required")
        self._salt = salt.encode()

    def digest(self, value: str) -> str:
        plain = re.sub(r"[\s\-+]", "", value)
        return hashlib.sha256(self._salt + plain.encode()).hexdigest()[:8]

    def redact(self, text: str) -> Redacted:
        # Full-width digits and letters (１３８…) are ordinary ones to a reader; mask them the same way.
        # (Not NFKC on the whole text: that would also rewrite Chinese punctuation in what we store.)
        text = text.translate(_HALF_WIDTH)
        found: list[Masked] = []
        for kind, pat in _PATTERNS:
            def mask(m: re.Match[str], kind: str = kind) -> str:
                value = m.group(1) if m.lastindex else m.group(0)
                digits = re.sub(r"[\s\-+]", "", value)
                item = Masked(kind, self.digest(value), digits[-4:])
                found.append(item)
                masked = f"[{kind}*{item.last4}#{item.digest}]"
                return m.group(0).replace(value, masked) if m.lastindex else masked

            text = pat.sub(mask, text)
        return Redacted(text, tuple(found))
