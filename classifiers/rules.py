"""Layer 3: the KB's keywords, phrases, sequences and exemplars compiled into a few fast matchers.

All keyword surface forms go into one Aho-Corasick automaton, their pinyin keys into another, and the
required literals of every regex into a third (see prefilter.py): one pass each over the message, then
only the regexes that can match are run. RE2 runs in linear time, so an admin's regex cannot hang the
process. (A single RE2 set over all patterns was tried first: its DFA blows up on the bounded gaps
`[^。]{0,12}` that phrases need, at ~10 ms per message.)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick
import re2

from classifiers.fuzzy import FuzzyMatcher
from classifiers.prefilter import backtrack_safe, parse, required_factors, required_literals
from classifiers.tokenizer import Pinyin, Tokenizer
from knowledge_base.loader import KnowledgeBase
from knowledge_base.schema import Signals

# Homophone matching only for specific terms of three or more syllables: two-syllable words collide
# with everyday words far too often (客服 ≈ 克服, 包赚 ≈ 宝转, 码商 ≈ 马上). Two-character evasions that
# really occur (威信, 薇信) belong in the variants table of shared/context.yaml instead.
PINYIN_MIN_WEIGHT = 1.5
PINYIN_MIN_CHARS = 3
PINYIN_FACTOR = 0.8
# A hit right after one of these is a warning, not a request: 请勿转入个人账户, 不存在安全账户.
NEGATION = re.compile(r"(勿|不要|千万别|不会|无需|不需要|不用|严禁|谨防|不得|不存在|从不|绝不|不可|警惕|防止|提防)")
NEGATION_REACH = 6
# A phrase or sequence that ends in the action it is about (…转, …转账, …下载) is negated when that action is:
# 有人自称客服给您打电话，千万不要转账 is a warning. Bare 别 counts only right before the verb (你先别转), not in
# 别急，转给我.
TAIL_NEGATION = re.compile(
    r"((不要|千万别|不用|无需|不需要|切勿|请勿|不能|不必|别再)(再)?[^。！？\n]{1,2}|别[转付汇打给点交借垫][账款钱]?)$")
MAX_SEQ_STARTS = 20  # bounds the work per sequence on long texts


@dataclass(frozen=True)
class Signal:
    rule_id: str
    owner: str  # a type id, "generic", "propaganda" or "legit"
    kind: str  # keyword | phrase | sequence | fuzzy
    weight: float
    why: str
    whole_word: bool = False
    negatable: bool = False
    type_only: bool = False  # votes for its owner's type without adding to the risk
    # Also ignored when its final action is negated (TAIL_NEGATION): risk phrases and sequences, never context
    # markers, whose own 不要泄露 must keep counting.
    tail_negatable: bool = False


SHORT_CJK = 2  # keywords this short must line up with jieba's word boundaries: 验资 is not in 体验资格
BOUNDARY_CONTEXT = 12
_ASCII_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class Hit:
    signal: Signal
    kind: str  # as the signal, or "pinyin" for a homophone keyword match
    start: int
    end: int
    weight: float


def _opts() -> re2.Options:
    o = re2.Options()
    o.log_errors = False
    o.max_mem = 64 << 20
    return o


class _Lazy:
    """A regex compiled on its first search. Most patterns never run on a given message (the literal prefilter
    skips them), and compiling the ~450 that run on Python's re took ~0.15 s of every start. After the first
    call the compiled pattern's own methods sit on the instance, so later calls cost nothing extra."""

    def __init__(self, pattern: str, safe: bool) -> None:
        self._pattern, self._safe = pattern, safe

    def _compile(self):  # type: ignore[no-untyped-def]
        rx = re.compile(self._pattern) if self._safe else re2.compile(self._pattern, _opts())
        self.search, self.finditer = rx.search, rx.finditer
        return rx

    def search(self, *args):  # type: ignore[no-untyped-def]
        return self._compile().search(*args)

    def finditer(self, *args):  # type: ignore[no-untyped-def]
        return self._compile().finditer(*args)


def _compile(pattern: str, parsed: object) -> _Lazy:
    """Every pattern is validated by RE2 when the KB loads; the ones proven backtrack-safe run on Python's
    re, whose call overhead is a tenth of the RE2 binding's. The rest run on RE2."""
    return _Lazy(pattern, backtrack_safe(pattern, parsed))


class RuleSet:
    def __init__(self, kb: KnowledgeBase, normalize: Callable[[str], str]) -> None:
        self.signals: list[Signal] = []
        self._kw = ahocorasick.Automaton()
        self._py = ahocorasick.Automaton()
        self._pinyin = Pinyin()
        self._parse_memo: dict[str, object] = {}  # one parse per pattern: prefilter, safety, compile
        self._lit = ahocorasick.Automaton()
        self._regex_owner: list[tuple[int, int]] = []  # regex index → (signal index, term index or -1)
        self._always: list[int] = []  # regexes with no known required literal: run on every message
        self._width: list[int | None] = []  # longest match of each regex (None: unbounded)
        lit_forms: dict[str, list[int]] = defaultdict(list)  # anchor literal → regexes
        self._rest: list[tuple[tuple[str, ...], ...]] = []  # per regex: its other literal factors
        self._phrase_rx: dict[int, object] = {}
        self._seq_terms: dict[int, list[object]] = {}
        self._seq_window: dict[int, int] = {}
        exemplars: list[tuple[str, float]] = []
        self._exemplar_sig: list[int] = []
        kw_forms: dict[str, list[int]] = defaultdict(list)
        py_forms: dict[str, tuple[str, list[int]]] = {}  # pinyin key → (first surface form, signals)

        sources: list[tuple[str, Signals]] = [(tid, t.signals) for tid, t in kb.types.items()]
        sources += [("generic", kb.generic.signals), ("propaganda", kb.context.propaganda),
                    ("legit", kb.context.legit_notice)]
        for owner, sig in sources:
            is_context = owner in ("propaganda", "legit")
            for k in sig.keywords:
                idx = self._add(Signal(f"{owner}.{k.term}", owner, "keyword", k.weight, k.why, k.whole_word,
                                       k.negatable and k.weight > 0))
                for form in (k.term, *k.synonyms):
                    nf = normalize(form)
                    if nf:
                        kw_forms[nf].append(idx)
                        if k.pinyin and not k.whole_word and k.weight >= PINYIN_MIN_WEIGHT:
                            key = self._pinyin.key(nf)
                            if key and len(nf) >= PINYIN_MIN_CHARS:
                                py_forms.setdefault(key, (nf, []))[1].append(idx)
            for p in sig.phrases:
                neg = p.negatable and p.weight > 0
                idx = self._add(Signal(f"{owner}.{p.id}", owner, "phrase", p.weight, p.why, negatable=neg,
                                       type_only=p.type_only, tail_negatable=neg and not is_context))
                self._phrase_rx[idx] = _compile(p.pattern, self._parsed(p.pattern))
                self._add_regex(p.pattern, idx, -1, lit_forms)
            for s in sig.sequences:
                neg = s.negatable and s.weight > 0
                idx = self._add(Signal(f"{owner}.{s.id}", owner, "sequence", s.weight, s.why, negatable=neg,
                                       tail_negatable=neg and not is_context))
                self._seq_terms[idx] = [_compile(t, self._parsed(t)) for t in s.terms]
                self._seq_window[idx] = s.window
                for j, t in enumerate(s.terms):
                    self._add_regex(t, idx, j, lit_forms)
            for i, e in enumerate(sig.exemplars):
                idx = self._add(Signal(f"{owner}.exemplar{i + 1}", owner, "fuzzy", e.weight, e.why))
                exemplars.append((normalize(e.text), e.cutoff))
                self._exemplar_sig.append(idx)

        for form, idxs in kw_forms.items():
            self._kw.add_word(form, (len(form), tuple(idxs), self._boundary_rule(form)))
        for key, (form, idxs) in py_forms.items():
            self._py.add_word(key, (len(key), tuple(idxs), form))
        self._has_kw = len(kw_forms) > 0
        self._has_py = len(py_forms) > 0
        if self._has_kw:
            self._kw.make_automaton()
        if self._has_py:
            self._py.make_automaton()
        for lit, ks in lit_forms.items():
            self._lit.add_word(lit, tuple(ks))
        self._has_lit = len(lit_forms) > 0
        if self._has_lit:
            self._lit.make_automaton()
        self._has_rx = bool(self._regex_owner)
        self._fuzzy = FuzzyMatcher(exemplars)
        self.tokenizer = Tokenizer()

    @staticmethod
    def _boundary_rule(form: str) -> str:
        if form.isascii():
            return "ascii"  # 'sd' must not match inside 'dpurl.cn/tsdl7'
        if len(form) <= SHORT_CJK:
            return "jieba"
        return ""

    def _parsed(self, pattern: str) -> object:
        if pattern not in self._parse_memo:
            self._parse_memo[pattern] = parse(pattern)
        return self._parse_memo[pattern]

    def _add_regex(self, pattern: str, idx: int, term: int, lit_forms: dict[str, list[int]]) -> None:
        k = len(self._regex_owner)
        self._regex_owner.append((idx, term))
        parsed = self._parsed(pattern)
        lits, width = required_literals(pattern, parsed)
        factors = required_factors(pattern, parsed) if lits is not None else []
        self._width.append(width if factors else None)
        if not factors:
            self._always.append(k)
            self._rest.append(())
            return
        # The most selective factor is the anchor the automaton looks for; the others are checked with a
        # plain substring test only when the anchor is present.
        anchor = max(factors, key=lambda f: (min(map(len, f)), -len(f)))
        self._rest.append(tuple(tuple(f) for f in factors if f is not anchor))
        for lit in anchor:
            lit_forms[lit].append(k)

    def _on_boundaries(self, text: str, a: int, b: int, memo: dict[int, tuple[set[int], set[int]]]) -> bool:
        """Does jieba cut a word boundary at a and at b? Segments only a window around the hit: jieba's
        choice there depends on a few characters of context, not on the whole message."""
        lo = max(0, a - BOUNDARY_CONTEXT)
        key = lo // BOUNDARY_CONTEXT
        if key not in memo:
            w0 = key * BOUNDARY_CONTEXT
            w1 = min(len(text), w0 + 4 * BOUNDARY_CONTEXT)
            starts, ends = set(), set()
            for _, s, e in self.tokenizer.spans(text[w0:w1]):
                starts.add(w0 + s)
                ends.add(w0 + e)
            memo[key] = (starts, ends)
        starts, ends = memo[key]
        return a in starts and b in ends

    def _candidates(self, text: str) -> dict[int, list[int]]:
        """Regexes whose every literal factor occurs in the text → end positions of their anchor factor
        (an empty list means: search everywhere)."""
        found: dict[int, list[int]] = {k: [] for k in self._always}
        if not self._has_lit:
            return found
        ends: dict[int, list[int]] = defaultdict(list)
        for end, ks in self._lit.iter(text):
            for k in ks:
                ends[k].append(end)
        rest = self._rest
        for k, at in ends.items():
            if all(any(lit in text for lit in factor) for factor in rest[k]):
                found[k] = at
        return found

    def _search(self, k: int, rx: object, text: str, ends: list[int]) -> tuple[int, int] | None:
        """Search only around the literal hits when the pattern's match length is bounded."""
        width = self._width[k]
        if width is None or not ends or len(text) <= 2 * width + 2:
            m = rx.search(text)  # type: ignore[attr-defined]
            return None if m is None else m.span()
        windows: list[list[int]] = []
        for end in sorted(ends):
            lo, hi = max(0, end - width), min(len(text), end + width + 1)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = hi
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            # A slice, not search(text, lo, hi): the binding re-encodes the whole text on every call.
            m = rx.search(text[lo:hi])  # type: ignore[attr-defined]
            if m is not None:
                return lo + m.start(), lo + m.end()
        return None

    def _add(self, s: Signal) -> int:
        self.signals.append(s)
        return len(self.signals) - 1

    def match(self, text: str) -> list[Hit]:
        fired: dict[int, Hit] = {}

        def fire(idx: int, kind: str, a: int, b: int, factor: float = 1.0) -> None:
            if idx not in fired:
                s = self.signals[idx]
                if s.negatable and NEGATION.search(text, max(0, a - NEGATION_REACH), a):
                    return
                if s.tail_negatable and TAIL_NEGATION.search(text, max(a, b - 8), b):
                    return
                fired[idx] = Hit(s, kind, a, b, s.weight * factor)

        local_bounds: dict[int, tuple[set[int], set[int]]] = {}
        if self._has_kw:
            for end, (n, idxs, rule) in self._kw.iter(text):
                a, b = end - n + 1, end + 1
                if rule == "ascii" and (
                    (a > 0 and _ASCII_WORD.match(text[a - 1])) or (b < len(text) and _ASCII_WORD.match(text[b]))
                ):
                    continue
                for idx in idxs:
                    if idx in fired:
                        continue
                    if (rule == "jieba" or self.signals[idx].whole_word) and not self._on_boundaries(
                        text, a, b, local_bounds
                    ):
                        continue
                    fire(idx, "keyword", a, b)
        if self._has_py:
            rendered, starts = self._pinyin.render(text)
            for end, (n, idxs, form) in self._py.iter(rendered):
                a = bisect_right(starts, end - n + 1)  # first char after the leading '|'
                b = bisect_right(starts, end - 1)
                # An evasion swaps a character or two and keeps the rest (刷丹 for 刷单); a span that shares
                # no character with the term is just another word that sounds alike (像刚才 ≈ 香港彩).
                if sum(x == y for x, y in zip(text[a:b], form, strict=False)) < max(1, len(form) // 2):
                    continue
                for idx in idxs:
                    fire(idx, "pinyin", a, b, PINYIN_FACTOR)
        if self._has_rx:
            seq_seen: dict[int, set[int]] = defaultdict(set)
            for k, ends in self._candidates(text).items():
                idx, term = self._regex_owner[k]
                if idx in fired:
                    continue
                if term < 0:
                    span = self._search(k, self._phrase_rx[idx], text, ends)
                    if span is not None:
                        fire(idx, "phrase", *span)
                else:
                    seq_seen[idx].add(term)
            for idx, terms in seq_seen.items():
                if len(terms) == len(self._seq_terms[idx]) and idx not in fired:
                    span = self._sequence(text, self._seq_terms[idx], self._seq_window[idx])
                    if span:
                        fire(idx, "sequence", *span)
        for fh in self._fuzzy.match(text):
            fire(self._exemplar_sig[fh.index], "fuzzy", fh.start, fh.end)
        return list(fired.values())

    @staticmethod
    def _sequence(text: str, terms: Iterable[object], window: int) -> tuple[int, int] | None:
        terms = list(terms)
        first, rest = terms[0], terms[1:]
        for n, m in enumerate(first.finditer(text)):  # type: ignore[attr-defined]
            if n >= MAX_SEQ_STARTS:
                break
            start, pos, limit = m.start(), m.end(), m.start() + window
            for rx in rest:
                nxt = rx.search(text, pos, min(len(text), limit))  # type: ignore[attr-defined]
                if nxt is None:
                    break
                pos = nxt.end()
            else:
                return start, pos
        return None
