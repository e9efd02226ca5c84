"""Required-literal extraction for regexes, so only patterns whose literals occur in a message are run.

The same idea as Hyperscan's literal prefilter: every pattern is reduced to a small set of strings one of
which must appear in any match (e.g. '(垫付|先付).{0,12}返' → {垫付, 先付} or {返}); one Aho-Corasick pass
finds the candidates. Cost then grows with the patterns a message could match, not with the KB size.
"""

from __future__ import annotations

import re._constants as C  # noqa: N812  (the parser's opcode names)
import re._parser as sre_parse
from typing import Any

MAX_SET = 64
# A phrase that lists many wordings (a threat said fifteen ways) unions more than MAX_SET literals; without a
# factor it would run on every message, which costs far more than a larger set in the automaton.
MAX_ALTERNATIVES = 160
MAX_CLASS = 12


def _class_literals(av: list[tuple[Any, Any]]) -> set[str] | None:
    out: set[str] = set()
    for op, v in av:
        if op is C.LITERAL:
            out.add(chr(v))
        else:
            return None
    return out if 0 < len(out) <= MAX_CLASS else None


def _item_factor(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    """(factor, exact): exact when the item matches exactly one of the strings (can be concatenated)."""
    if op is C.LITERAL:
        return {chr(av)}, True
    if op is C.IN:
        lits = _class_literals(av)
        return lits, lits is not None
    if op is C.SUBPATTERN:
        return _seq_factor(av[-1])
    if op is C.BRANCH:
        alts = [_seq_factor(alt) for alt in av[1]]
        if any(f is None for f, _ in alts):
            return None, False
        union: set[str] = set()
        for f, _ in alts:
            union |= f  # type: ignore[arg-type]
        exact = all(e for _, e in alts)
        return (union, exact) if len(union) <= MAX_ALTERNATIVES else (None, False)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
        f, exact = _seq_factor(av[2])
        return f, exact and av[0] == av[1] == 1
    return None, False


def _better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    ka, kb = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return a if ka >= kb else b


def _seq_factor(seq: Any) -> tuple[set[str] | None, bool]:
    best: set[str] | None = None
    run: set[str] | None = None
    all_exact = True
    for op, av in seq:
        f, exact = _item_factor(op, av)
        if f is not None and exact:
            if run is None:
                run = set(f)
            else:
                prod = {a + b for a in run for b in f}
                if len(prod) <= MAX_SET:
                    run = prod
                else:
                    best = _better(best, run)
                    run = set(f)
            continue
        all_exact = False
        best = _better(best, run)
        run = None
        if f is not None:
            best = _better(best, f)
    best = _better(best, run)
    exact = all_exact and run is not None and best is run
    return best, exact


MAX_WINDOW = 400


def parse(pattern: str) -> Any | None:
    try:
        return sre_parse.parse(pattern)
    except Exception:  # RE2-only syntax the stdlib parser does not know
        return None


def required_literals(pattern: str, parsed: Any | None = None) -> tuple[set[str] | None, int | None]:
    """(strings one of which occurs in every match, the longest possible match or None if unbounded).

    A None literal set means no small set is known: the pattern runs on every message.
    """
    parsed = parsed if parsed is not None else parse(pattern)
    if parsed is None:
        return None, None
    hi = parsed.getwidth()[1]
    width = hi if hi <= MAX_WINDOW else None
    f, _ = _seq_factor(list(parsed))
    if not f or any(s == "" for s in f):
        return None, width
    return {s.lower() for s in f}, width


def _nested_repeat(seq: Any, inside: bool = False) -> bool:
    for op, av in seq:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if inside or _nested_repeat(av[2], True):
                return True
        elif op is C.SUBPATTERN:
            if _nested_repeat(av[-1], inside):
                return True
        elif op is C.BRANCH:
            if any(_nested_repeat(alt, inside) for alt in av[1]):
                return True
        elif op in (C.ASSERT, C.ASSERT_NOT, C.GROUPREF, C.GROUPREF_EXISTS):
            return True
    return False


def backtrack_safe(pattern: str, parsed: Any | None = None) -> bool:
    """True when Python's backtracking `re` is safe for this pattern: bounded width, no repeat inside a
    repeat, no look-around or back-reference. Such patterns run in time polynomial in a bounded window,
    and Python's engine is an order of magnitude faster to call than the RE2 binding. Everything else
    runs on RE2."""
    parsed = parsed if parsed is not None else parse(pattern)
    if parsed is None:
        return False
    return parsed.getwidth()[1] <= MAX_WINDOW and not _nested_repeat(list(parsed))


def required_factors(pattern: str, parsed: Any | None = None) -> list[set[str]]:
    """Every literal factor a match must contain, in order: ['(垫付|先付).{0,12}返还'] → [{垫付, 先付}, {返还}].

    A candidate pattern is only run when all of its factors occur in the text, so patterns that share one
    common literal do not all run. An empty list means no factor is known.
    """
    parsed = parsed if parsed is not None else parse(pattern)
    if parsed is None:
        return []
    out: list[set[str]] = []
    run: set[str] | None = None
    for op, av in list(parsed):
        f, exact = _item_factor(op, av)
        if f is not None and exact:
            prod = set(f) if run is None else {a + b for a in run for b in f}
            if len(prod) <= MAX_SET:
                run = prod
                continue
            if run:
                out.append(run)
            run = set(f)
            continue
        if run:
            out.append(run)
        run = None
        if f:
            out.append(set(f))
    if run:
        out.append(run)
    return [{x.lower() for x in f} for f in out if f and all(f)]
