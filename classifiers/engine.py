"""`Engine.check(text) -> Verdict`: pure, deterministic, no I/O per call. `Detector` swaps engines atomically."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from classifiers.blocklist import mark
from classifiers.entities import EntityExtractor
from classifiers.model import TextModel
from classifiers.normalize import Normalizer
from classifiers.rules import RuleSet
from classifiers.scorer import score
from classifiers.verdict import Verdict
from knowledge_base.loader import DEFAULT_DIR, KBError, KnowledgeBase, load_kb

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "textcat"


class KBLoadError(Exception):
    def __init__(self, errors: list[KBError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the knowledge base")
        self.errors = errors


class Engine:
    def __init__(self, kb: KnowledgeBase, model: TextModel | None = None,
                 blocklist: frozenset[str] = frozenset()) -> None:
        self.kb = kb
        self.model = model
        self.blocklist = blocklist  # keys from classifiers.blocklist.key_of; replaced whole, never mutated
        self.normalizer = Normalizer(kb.context.variants)
        self._norm = lambda s: self.normalizer(s).text
        self.rules = RuleSet(kb, self._norm)
        self.entities = EntityExtractor(kb.allowlist, tuple(self._norm(a) for a in kb.generic.apps))

    def check(self, text: str) -> Verdict:
        if not isinstance(text, str):
            raise TypeError("check() takes a str")
        norm = self.normalizer(text)
        t = norm.text
        hits = self.rules.match(t)
        ents = mark(self.entities.extract(t), self.blocklist)
        pred = self.model.predict(t) if self.model is not None and t else None
        s = score(hits, ents, pred, self.kb.generic, self.kb.context.propaganda_threshold, t, norm.turns)
        return Verdict(
            risk=s.risk, level=s.level, fraud_type=s.fraud_type, types=s.types, evidence=s.evidence,
            entities=[h.entity for h in ents], is_propaganda=s.is_propaganda, truncated=norm.truncated,
            normalized=t,
        )


def build_engine(kb_dir: Path | str = DEFAULT_DIR, model_dir: Path | str | None = DEFAULT_MODEL_DIR) -> Engine:
    res = load_kb(kb_dir)
    if res.kb is None:
        raise KBLoadError(res.errors)
    model = TextModel.load(Path(model_dir)) if model_dir else None
    return Engine(res.kb, model)


@dataclass
class ReloadResult:
    ok: bool
    errors: list[KBError]


class Detector:
    """Holds the current engine; a reload that fails leaves the last good one in place."""

    def __init__(self, engine: Engine, kb_dir: Path | str, model_dir: Path | str | None) -> None:
        self._engine = engine
        self._kb_dir = Path(kb_dir)
        self._model_dir = Path(model_dir) if model_dir else None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def kb(self) -> KnowledgeBase:
        return self._engine.kb

    @property
    def kb_dir(self) -> Path:
        return self._kb_dir

    def check(self, text: str) -> Verdict:
        return self._engine.check(text)

    def set_blocklist(self, keys: frozenset[str]) -> None:
        self._engine.blocklist = keys  # one reference swap; reload() carries it over to the new engine

    def reload(self) -> ReloadResult:
        with self._lock:
            try:
                new = build_engine(self._kb_dir, self._model_dir)
            except KBLoadError as exc:
                log.warning("KB reload rejected: %d error(s); keeping the last good KB", len(exc.errors))
                return ReloadResult(False, exc.errors)
            new.blocklist = self._engine.blocklist
            self._engine = new  # one reference swap: callers see the old or the new engine, never a mix
            return ReloadResult(True, [])
