"""Quality figures on a labelled corpus: recall, precision, FPR, F1, type accuracy, per slice."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    typed: int = 0
    type_ok: int = 0
    type_ok_detected: int = 0
    detected_typed: int = 0

    def add(self, gold_fraud: bool, pred_fraud: bool, gold_type: str | None, pred_type: str | None) -> None:
        if gold_fraud and pred_fraud:
            self.tp += 1
        elif gold_fraud:
            self.fn += 1
        elif pred_fraud:
            self.fp += 1
        else:
            self.tn += 1
        if gold_fraud and gold_type:
            self.typed += 1
            ok = pred_fraud and pred_type == gold_type
            self.type_ok += ok
            if pred_fraud:
                self.detected_typed += 1
                self.type_ok_detected += ok

    def metrics(self) -> dict[str, Any]:
        def div(a: float, b: float) -> float | None:
            return round(a / b, 4) if b else None

        recall = div(self.tp, self.tp + self.fn)
        precision = div(self.tp, self.tp + self.fp)
        f1 = (round(2 * precision * recall / (precision + recall), 4)
              if precision and recall else None)
        return {
            "n": self.tp + self.fp + self.fn + self.tn, "fraud": self.tp + self.fn,
            "benign": self.fp + self.tn, "recall": recall, "precision": precision,
            "fpr": div(self.fp, self.fp + self.tn), "f1": f1,
            "type_acc": div(self.type_ok, self.typed),
            "type_acc_detected": div(self.type_ok_detected, self.detected_typed),
        }


@dataclass
class Evaluation:
    overall: Counts = field(default_factory=Counts)
    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_source: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_origin: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_channel: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    confusion: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, row: dict[str, Any], pred_fraud: bool, pred_type: str | None) -> None:
        gold_fraud = row.get("label") == "fraud"
        gold_type = row.get("type")
        args = (gold_fraud, pred_fraud, gold_type, pred_type)
        self.overall.add(*args)
        if gold_fraud:
            self.by_type[gold_type or "(untyped)"].add(*args)
            if gold_type:
                self.confusion[gold_type][pred_type if pred_fraud else "(missed)"] += 1
        for key, table in (("source", self.by_source), ("origin", self.by_origin),
                           ("channel", self.by_channel)):
            if row.get(key):
                table[str(row[key])].add(*args)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.metrics(),
            "by_type": {k: v.metrics() for k, v in sorted(self.by_type.items())},
            "by_source": {k: v.metrics() for k, v in sorted(self.by_source.items())},
            "by_origin": {k: v.metrics() for k, v in sorted(self.by_origin.items())},
            "by_channel": {k: v.metrics() for k, v in sorted(self.by_channel.items())},
            "confusion": {k: dict(v) for k, v in sorted(self.confusion.items())},
        }
