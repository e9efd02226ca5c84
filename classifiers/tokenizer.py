"""jieba tokens and pinyin renderings of normalised text.

A private jieba.Tokenizer (never the process-global one) so that nothing else in the process changes it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from itertools import accumulate
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

MIN_WORD_FREQ = 5  # jieba's rarest words (frequency < 5, 61% of its dictionary) only slow start-up down


def compact_dictionary() -> Path:
    """jieba's dictionary without its rarest words, written once next to jieba's own cache.

    Loading the full dictionary takes ~0.7 s; this one ~0.3 s. Segmentation of everyday text is the same:
    the dropped entries are rare names and compounds, which then fall back to shorter words.
    """
    src = Path(jieba.__file__).with_name("dict.txt")
    dst = Path(tempfile.gettempdir()) / f"fangzha_jieba_min{MIN_WORD_FREQ}_{src.stat().st_size}.txt"
    if not dst.exists():
        tmp = dst.with_suffix(f".{os.getpid()}.tmp")
        with src.open(encoding="utf-8") as fin, tmp.open("w", encoding="utf-8") as fout:
            for line in fin:
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= MIN_WORD_FREQ:
                    fout.write(line)
        tmp.replace(dst)  # atomic: concurrent first runs never see half a file
    return dst


class Tokenizer:
    """jieba's own dictionary, without KB terms: adding them would make jieba cut them out even where they
    are only an accident of two words meeting, which is exactly what the boundary check must catch."""

    def __init__(self) -> None:
        self._jieba = jieba.Tokenizer(dictionary=str(compact_dictionary()))
        self._jieba.initialize()

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """(token, start, end) for every token; HMM off so unknown words do not glue to KB terms."""
        return [(w, s, e) for w, s, e in self._jieba.tokenize(text, HMM=False)]

    def words(self, text: str) -> list[str]:
        return list(self._jieba.cut(text, HMM=False))


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class Pinyin:
    """Per-character toneless pinyin, memoised per instance: '|shua|dan|' form with offsets back to text.

    Characters are read one at a time, the same way for KB terms and for messages, so a homophone swap
    (刷丹 for 刷单) gives the same string while polyphone choice stays consistent on both sides.
    """

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}

    def syllable(self, ch: str) -> str:
        s = self._memo.get(ch)
        if s is None:
            s = lazy_pinyin(ch, style=Style.NORMAL)[0] if is_cjk(ch) else "#"
            self._memo[ch] = s
        return s

    def render(self, text: str) -> tuple[str, list[int]]:
        """Return the pinyin string and the offset in it where each source character's syllable starts.

        Map an offset back with bisect_right(starts, offset) - 1.
        """
        memo = self._memo
        sylls = [memo.get(ch) or self.syllable(ch) for ch in text]
        starts = list(accumulate((len(s) + 1 for s in sylls), initial=1))
        return "|" + "|".join(sylls) + "|", starts

    def key(self, term: str) -> str | None:
        """Pinyin key of a KB term, or None when the term is not all CJK (nothing to sound alike)."""
        if len(term) < 2 or not all(is_cjk(c) for c in term):
            return None
        return "|" + "|".join(self.syllable(c) for c in term) + "|"
