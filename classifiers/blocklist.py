"""Numbers, domains and accounts the anti-fraud team has confirmed as scams: an entity found on the list is
flagged `blocklisted`, which the KB weighs (shared/generic.yaml: entity_weights) like any other signal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from classifiers.entities import EntityHit

FLAG = "blocklisted"
_DIGITS = re.compile(r"^[\d\s+\-]{5,}$")


def key_of(value: str) -> str:
    """The comparable form of a number, account, domain or URL: digits only, or a lower-case host."""
    v = value.strip()
    if _DIGITS.match(v):
        digits = re.sub(r"\D", "", v)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    low = v.lower()
    if "/" in low or "." in low:
        host = urlsplit(low if "//" in low else "//" + low).hostname or low
        return host.removeprefix("www.")
    return low


def mark(hits: list[EntityHit], blocklist: Iterable[str] | frozenset[str]) -> list[EntityHit]:
    if not blocklist:
        return hits
    out = []
    for h in hits:
        if h.entity.kind in ("phone", "url", "bank_card", "qq", "wechat") and key_of(h.entity.value) in blocklist:
            h = replace(h, entity=replace(h.entity, flags=(FLAG, *h.entity.flags)))
        out.append(h)
    return out
