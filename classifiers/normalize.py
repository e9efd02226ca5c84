"""Layer 1: turn whatever a citizen forwards into one canonical form that patterns are written against.

Scammers evade keyword filters with full-width digits, traditional characters, separators inside words
(刷*单), look-alike spellings (V信, 薇信) and Chinese numerals. Each step below undoes one of those tricks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import ahocorasick
import opencc

MAX_CHARS = 6000  # longer input is cut; the verdict says so. Bounds time per call.

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufe00-\ufe0f\ufeff\u20e3\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# Separators (spaces, punctuation, symbols, emoji) wedged between two CJK characters, or between a CJK
# character and a letter/digit: 刷*单 → 刷单, "V 信" → "v信". Bounded run length keeps it linear.
_SEP = r"[^\w\n]|_"
_SPLIT_CJK = re.compile(rf"(?<=[{_CJK}])(?:{_SEP}){{1,4}}(?=[{_CJK}])")
# '-' stays before digits: 收益率-2.3% is a loss, not a return
_SPLIT_MIXED_A = re.compile(rf"(?<=[{_CJK}])(?:[ \t*.·•_~]){{1,3}}(?=[a-z0-9])")
_SPLIT_MIXED_B = re.compile(rf"(?<=[a-z0-9])(?:[ \t*.·•_\-~]){{1,3}}(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_CN_NUM = re.compile(r"[零〇一二两三四五六七八九][零〇一二两三四五六七八九十百千万亿]+")


def cn_to_int(s: str) -> int | None:
    """Read a Chinese numeral such as 两万五 or 一百八十八; None when it is not a well-formed number."""
    total, section, digit, last_unit, zero = 0, 0, None, 1, False
    for ch in s:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # 一一: a sequence of digits, not a number
            digit = _CN_DIGITS[ch]
            zero = zero or digit == 0
        else:
            unit = _CN_UNITS[ch]
            if unit >= 10_000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            last_unit = unit
            digit = None
            zero = False
    if digit:
        # 两万五 means 25000: a trailing digit after a unit counts one order below it; 一百零八 is 108
        section += digit * (last_unit // 10 if last_unit >= 10 and not zero else 1)
    return total + section


def _numeral(m: re.Match[str]) -> str:
    s = m.group(0)
    if not any(c in _CN_UNITS for c in s):
        return s
    n = cn_to_int(s)
    return s if n is None else str(n)


_TURN = re.compile(r"^\s*[^\s:：]{1,8}[:：]", re.MULTILINE)


@dataclass(frozen=True)
class Normalized:
    text: str
    truncated: bool
    turns: int = 0  # lines that start with "speaker:" — a forwarded conversation, not a broadcast


class Normalizer:
    """Pure function object: built once from the KB's variant table, then called per message."""

    def __init__(self, variants: Mapping[str, str]) -> None:
        self._t2s = opencc.OpenCC("t2s")
        self._variants = ahocorasick.Automaton()
        for src, dst in variants.items():
            key = src.lower()
            if key:
                self._variants.add_word(key, (len(key), dst))
        if len(self._variants):
            self._variants.make_automaton()
        self._has_variants = len(self._variants) > 0

    def __call__(self, raw: str) -> Normalized:
        truncated = len(raw) > MAX_CHARS
        text = raw[:MAX_CHARS] if truncated else raw
        # Lone surrogates and other unencodable points would break every later layer.
        text = text.encode("utf-8", "replace").decode("utf-8")
        text = unicodedata.normalize("NFKC", text)
        turns = len(_TURN.findall(text, 0, 4000))
        if turns >= 2:
            text = _TURN.sub(" ", text)  # speaker tags (甲：, 客服：) carry no content
        text = _ZERO_WIDTH.sub("", text)
        text = _CONTROL.sub(" ", text)
        text = self._t2s.convert(text).lower()
        text = _SPACES.sub(" ", text).strip()
        text = _SPLIT_CJK.sub("", text)
        text = _SPLIT_MIXED_A.sub("", text)
        text = _SPLIT_MIXED_B.sub("", text)
        text = self._replace_variants(text)
        text = _CN_NUM.sub(_numeral, text)
        return Normalized(text=text, truncated=truncated, turns=turns)

    def _replace_variants(self, text: str) -> str:
        if not self._has_variants:
            return text
        out: list[str] = []
        pos = 0
        # Leftmost-longest replacement: iter() yields (end, value) in end order; keep non-overlapping ones.
        for end, (length, dst) in self._variants.iter_long(text):
            start = end - length + 1
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(dst)
            pos = end + 1
        out.append(text[pos:])
        return "".join(out)
