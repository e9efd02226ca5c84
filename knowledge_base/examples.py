"""The examples the KB carries: every type's hits and misses plus the shared benign set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from knowledge_base.loader import KnowledgeBase

BENIGN = "benign"


@dataclass(frozen=True)
class KBExample:
    text: str
    expect_type: str | None  # a type id for hits, None for messages that must not be flagged
    file: str
    index: int

    @property
    def label(self) -> str:
        return self.expect_type or BENIGN


def iter_examples(kb: KnowledgeBase) -> Iterator[KBExample]:
    for tid, t in kb.types.items():
        for i, text in enumerate(t.examples.hit):
            yield KBExample(text, tid, f"patterns/{tid}.yaml", i)
        for i, text in enumerate(t.examples.miss):
            yield KBExample(text, None, f"patterns/{tid}.yaml", i)
    for name, ex in (("generic", kb.generic.examples), ("context", kb.context.examples),
                     ("benign", kb.benign.examples)):
        for i, text in enumerate(ex.hit):
            yield KBExample(text, "other_fraud", f"shared/{name}.yaml", i)
        for i, text in enumerate(ex.miss):
            yield KBExample(text, None, f"shared/{name}.yaml", i)


def iter_training(kb: KnowledgeBase) -> Iterator[KBExample]:
    """Bulk training texts: the learned layer learns from these and from every example above."""
    for stem, tf in kb.training.items():
        expect = None if tf.label == BENIGN else tf.label
        for i, text in enumerate(tf.texts):
            yield KBExample(text, expect, f"training/{stem}.yaml", i)


def training_set(kb: KnowledgeBase) -> list[KBExample]:
    return [*iter_examples(kb), *iter_training(kb)]


def examples_fingerprint(kb: KnowledgeBase) -> str:
    import hashlib

    h = hashlib.sha256()
    for ex in training_set(kb):
        h.update(f"{ex.label}\t{ex.text}\n".encode())
    return h.hexdigest()[:16]
