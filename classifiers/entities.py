"""Layer 2: the concrete things in a message — links, numbers, cards, accounts, amounts, apps, code requests.

Each entity carries flags (look-alike domain, official number, Luhn-valid card …) that the scorer turns into
evidence with weights from `shared/generic.yaml: entity_weights`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from classifiers.verdict import Entity
from knowledge_base.schema import AllowlistFile

_URL = re.compile(
    r"(?:https?://|www\.)[a-z0-9\-._~%/?#\[\]@!$&'()*+,;=:]{1,300}"
    r"|(?<![a-z0-9@.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,40}[a-z0-9])?\.){1,4}[a-z]{2,10}"
    r"(?::\d{2,5})?(?:/[a-z0-9\-._~%/?#=&+]{0,200})?(?![a-z0-9])"
)
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_TLDS_COMMON = frozenset(
    "com cn net org gov edu top xyz cc vip club icu buzz shop ltd ren wang live site online fun work info biz "
    "me tv io co app link pro asia store tech cloud mobi win bid loan men kim red pw ink".split()
)
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}[\s-]?\d{7,8})(?!\d)")
_HOTLINE = re.compile(r"(?<!\d)([48]00[\s-]?\d{3}[\s-]?\d{4})(?!\d)")
_SHORT_SERVICE = re.compile(r"(?<!\d)(9\d{4,5}|1\d{4}|110|120|119|122)(?!\d)")
_CARD = re.compile(r"(?<!\d)((?:\d[\s-]?){15,18}\d)(?!\d)")
_QQ = re.compile(r"qq(?:号|群)?[:：是为]?\s*(\d{5,11})(?!\d)")
_WECHAT = re.compile(r"微信(?:号)?[:：是为]?\s*([a-z][a-z0-9_\-]{5,19})")
_AMOUNT = re.compile(r"(?:[¥￥]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(万|千)?\s*(?:元|块|rmb|人民币|u\b|usdt))")
_CODE_WORDS = r"验证码|校验码|动态码|动态密码|短信码|认证码"
_CODE_ASK = re.compile(
    rf"(?:告诉|发给|报给|念给|读给|提供|发一下|报一下|截图给|转发给|给我)[^。！？\n]{{0,8}}(?:{_CODE_WORDS})"
    rf"|(?:{_CODE_WORDS})[^。！？\n]{{0,10}}(?:告诉|发给|报给|念给|读给|提供|发一下|报一下|发过来|报过来|截图)"
)
_NEGATION = re.compile(r"(?:勿|不要|不得|切莫|不会|别|不能|严禁|谨防|防止|不可|千万不|无需|不需要|不用|从不|绝不)")
NEGATION_REACH = 16  # 不会通过短信或私人电话要求您提供验证码: the negation can sit a few words back


def luhn_ok(digits: str) -> bool:
    total, alt = 0, False
    for ch in reversed(digits):
        d = ord(ch) - 48
        if alt:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        alt = not alt
    return total % 10 == 0


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def registrable(host: str) -> str:
    parts = host.split(".")
    if len(parts) >= 3 and parts[-2] in {"com", "net", "org", "gov", "edu", "ac"} and parts[-1] == "cn":
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


@dataclass(frozen=True)
class EntityHit:
    entity: Entity
    start: int
    end: int


class EntityExtractor:
    def __init__(self, allow: AllowlistFile, apps: tuple[str, ...]) -> None:
        self._numbers = frozenset(_digits(n) for n in allow.numbers)
        self._domains = frozenset(d.lower() for d in allow.domains)
        self._brands = tuple(b.lower() for b in allow.brands)
        self._odd = frozenset(t.lower().lstrip(".") for t in allow.odd_tlds)
        self._short = frozenset(s.lower() for s in allow.shorteners)
        self._apps = ahocorasick.Automaton()
        for a in apps:
            self._apps.add_word(a.lower(), a)
        if len(self._apps):
            self._apps.make_automaton()

    def domain_allowed(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self._domains)

    def _url(self, raw: str) -> Entity | None:
        s = raw.rstrip(".,;:!?)'")
        host = re.sub(r"^(?:https?://)?", "", s).split("/")[0].split("?")[0].split(":")[0].split("@")[-1]
        if not host or "." not in host:
            return None
        tld = host.rsplit(".", 1)[-1]
        is_ip = bool(_IP_HOST.match(host))
        if not is_ip and tld not in _TLDS_COMMON and tld not in self._odd:
            return None  # "3.5" or "v1.2": not a domain
        flags: list[str] = []
        if is_ip:
            flags.append("ip_host")
        elif self.domain_allowed(host):
            flags.append("official")
        else:
            reg = registrable(host)
            if any(b in host for b in self._brands):
                flags.append("lookalike")
            if tld in self._odd:
                flags.append("odd_tld")
            if reg in self._short:
                flags.append("shortener")
            if re.search(r"\d", reg.split(".")[0]) and "-" in host:
                flags.append("odd_domain")
        return Entity("url", s, tuple(flags))

    def extract(self, text: str) -> list[EntityHit]:
        hits: list[EntityHit] = []
        taken: list[tuple[int, int]] = []

        def free(a: int, b: int) -> bool:
            return all(b <= s or a >= e for s, e in taken)

        def add(ent: Entity, a: int, b: int) -> None:
            hits.append(EntityHit(ent, a, b))
            taken.append((a, b))

        for m in _URL.finditer(text):
            ent = self._url(m.group(0))
            if ent is not None:
                add(ent, m.start(), m.end())
        for m in _QQ.finditer(text):
            add(Entity("qq", m.group(1)), m.start(1), m.end(1))
        for m in _WECHAT.finditer(text):
            if free(m.start(1), m.end(1)):
                add(Entity("wechat", m.group(1)), m.start(1), m.end(1))
        for m in _CARD.finditer(text):
            d = _digits(m.group(1))
            if free(m.start(1), m.end(1)) and 16 <= len(d) <= 19 and luhn_ok(d):
                add(Entity("bank_card", d, ("luhn_ok",)), m.start(1), m.end(1))
        for m in _AMOUNT.finditer(text):
            value = m.group(1) or m.group(2)
            try:
                amount = float(value) * {"万": 10_000, "千": 1_000}.get(m.group(3) or "", 1)
            except (TypeError, ValueError):
                continue
            if free(m.start(), m.end()):
                add(Entity("amount", f"{amount:g}"), m.start(), m.end())
        # Amounts before phones: '10000人民币' is money, not China Telecom's number.
        for rx, kind in ((_MOBILE, "mobile"), (_HOTLINE, "hotline"), (_LANDLINE, "landline"),
                         (_SHORT_SERVICE, "service")):
            for m in rx.finditer(text):
                if not free(m.start(1), m.end(1)):
                    continue
                d = _digits(m.group(1))
                flags = (kind, "official") if d in self._numbers else (kind,)
                if kind == "service" and "official" not in flags:
                    continue  # a bare 5-digit number is too often a price or a code
                add(Entity("phone", d, flags), m.start(1), m.end(1))
        if len(self._apps):
            for end, name in self._apps.iter(text):
                add(Entity("app", name), end - len(name) + 1, end + 1)
        for m in _CODE_ASK.finditer(text):
            before = text[max(0, m.start() - NEGATION_REACH) : m.start() + 4]
            if not _NEGATION.search(before) and not _NEGATION.search(m.group(0)):
                add(Entity("code_request", m.group(0)), m.start(), m.end())
        return hits
