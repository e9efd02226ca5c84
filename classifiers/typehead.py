"""Layer 4b: which kind of scam it is, and a second opinion on whether it is one — TF-IDF over character
1–3-grams with two multinomial logistic regressions on the same features.

The type regression tells the 14 types apart and is fitted on the KB's scam texts alone. On dev.jsonl it picks
the right type for 0.81 of the detected scams, against 0.77 for spaCy's multi-class head (L2-regularised
log-loss with TF-IDF weighting separates neighbouring types better than spaCy's hashed, dropout-trained layer).

The screen regression is fitted on all texts with `benign` as a fifteenth label; `1 − P(benign)` is a fraud
probability from a differently built model, which `TextModel` mixes with the spaCy heads' (see there).

scikit-learn fits both (`kb train` only, imported lazily); checking a message needs only numpy and this file,
so start-up does not pay scikit-learn's ~1 s import.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge_base.examples import BENIGN

MAX_N = 3
MIN_DF = 3  # an n-gram seen in one or two texts says nothing general (and 3 keeps the table at ~120k n-grams)
DEFAULT_C = 4.0
SCREEN_C = 16.0  # chosen on dev.jsonl with the mix in classifiers/model.py: C = 32 raised false alarms by half
VOCAB_FILE = "typehead_vocab.json"
WEIGHTS_FILE = "typehead.npz"


def ngrams(chars: Sequence[str]) -> Counter[str]:
    """Character 1..MAX_N-grams of a text given as its model characters (see `model.features`)."""
    s = "".join(chars)
    return Counter([s[i : i + n] for n in range(1, MAX_N + 1) for i in range(len(s) - n + 1)])


def tfidf(counts: Counter[str], vocab: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and L2-normalised weights (sublinear tf × idf) of the known n-grams; sklearn's TfidfVectorizer
    with `sublinear_tf=True` computes the same."""
    get = vocab.get
    found = [(i, c) for g, c in counts.items() if (i := get(g)) is not None]
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    cols = np.array([i for i, _ in found], dtype=np.int64)
    tf = (1.0 + np.log(np.array([c for _, c in found], dtype=np.float64))).astype(np.float32)
    vals = tf * idf[cols]
    return cols, vals / np.linalg.norm(vals)


@dataclass(frozen=True)
class Linear:
    """One multinomial logistic regression over the shared TF-IDF features."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (n_features, n_labels): one row per n-gram, so a text gathers only its own rows
    intercept: np.ndarray  # (n_labels,)

    def proba(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        z = self.intercept + vals @ self.weights[cols]
        z = np.exp(z - z.max())
        return z / z.sum()


@dataclass(frozen=True)
class Reading:
    types: dict[str, float]  # type id → probability (sums to 1)
    p_fraud: float | None  # 1 − P(benign) from the screen regression; None when the head has none


@dataclass(frozen=True)
class TypeHead:
    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,)
    types: Linear
    screen: Linear | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return self.types.labels

    def read(self, chars: Sequence[str]) -> Reading:
        cols, vals = tfidf(ngrams(chars), self.vocab, self.idf)
        p = self.types.proba(cols, vals)
        types = {lb: float(v) for lb, v in zip(self.types.labels, p, strict=True)}
        if self.screen is None:
            return Reading(types, None)
        q = self.screen.proba(cols, vals)
        return Reading(types, 1.0 - float(q[self.screen.labels.index(BENIGN)]))

    def predict(self, chars: Sequence[str]) -> dict[str, float]:
        """Probability of each type (sums to 1)."""
        return self.read(chars).types

    def save(self, out_dir: Path) -> None:
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {"labels": list(self.types.labels), "ngrams": words,
                "screen_labels": list(self.screen.labels) if self.screen else []}
        (out_dir / VOCAB_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {"idf": self.idf, "weights": self.types.weights, "intercept": self.types.intercept}
        if self.screen is not None:
            arrays |= {"screen_weights": self.screen.weights, "screen_intercept": self.screen.intercept}
        np.savez(out_dir / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> TypeHead | None:
        if not (path / VOCAB_FILE).exists() or not (path / WEIGHTS_FILE).exists():
            return None
        meta = json.loads((path / VOCAB_FILE).read_text(encoding="utf-8"))
        vocab = {g: i for i, g in enumerate(meta["ngrams"])}
        with np.load(path / WEIGHTS_FILE) as w:
            idf = w["idf"]
            types = Linear(tuple(meta["labels"]), w["weights"], w["intercept"])
            screen_labels = tuple(meta.get("screen_labels") or ())
            screen = Linear(screen_labels, w["screen_weights"], w["screen_intercept"]) if screen_labels else None
        for lin in (types, screen):
            if lin is not None and (lin.weights.shape != (len(vocab), len(lin.labels)) or
                                    lin.intercept.shape != (len(lin.labels),)):
                raise ValueError(f"type head in {path} is inconsistent: {lin.weights.shape} vs {len(vocab)} n-grams")
        if idf.shape != (len(vocab),):
            raise ValueError(f"type head in {path} is inconsistent: {idf.shape} idf vs {len(vocab)} n-grams")
        if screen is not None and BENIGN not in screen.labels:
            raise ValueError(f"type head in {path}: the screen has no '{BENIGN}' label")
        return cls(vocab, idf, types, screen)


def _regression(x, labels: Sequence[str], c: float) -> Linear:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000).fit(x, list(labels))
    classes = tuple(str(c) for c in clf.classes_)
    weights = np.ascontiguousarray(clf.coef_.T, dtype=np.float32)
    intercept = clf.intercept_.astype(np.float32)
    if len(classes) == 2:  # sklearn keeps one column for two classes: expand to the softmax form
        weights = np.hstack([-weights / 2, weights / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return Linear(classes, weights, intercept)


def fit(texts: Sequence[Sequence[str]], labels: Sequence[str], c: float = DEFAULT_C,
        screen_c: float = SCREEN_C, min_df: int = MIN_DF, with_screen: bool = True) -> TypeHead:
    """Fit on texts (as model characters) and their labels (type ids, and `benign` for the screen).
    The vocabulary and idf come from all texts; the type regression sees the scam texts only. Needs at least
    two scam types. Deterministic: lbfgs has no randomness."""
    from scipy.sparse import csr_matrix

    grams = [ngrams(t) for t in texts]
    df: Counter[str] = Counter()
    for g in grams:
        df.update(g.keys())
    words = sorted(w for w, n in df.items() if n >= min_df)
    vocab = {w: i for i, w in enumerate(words)}
    n_docs = len(texts)
    # sklearn's smooth idf: ln((1 + n) / (1 + df)) + 1
    idf = np.array([math.log((1 + n_docs) / (1 + df[w])) + 1.0 for w in words], dtype=np.float32)
    rows, cols, vals = [], [], []
    for r, g in enumerate(grams):
        cs, v = tfidf(g, vocab, idf)
        rows += [r] * len(cs)
        cols += cs.tolist()
        vals += v.tolist()
    x = csr_matrix((vals, (rows, cols)), shape=(n_docs, len(words)), dtype=np.float32)
    scam = [i for i, lb in enumerate(labels) if lb != BENIGN]
    types = _regression(x[scam], [labels[i] for i in scam], c)
    screen = _regression(x, labels, screen_c) if with_screen and len(scam) < n_docs else None
    return TypeHead(vocab, idf, types, screen)
