"""Layer 4b: which kind of scam it is — TF-IDF over character 1–3-grams with a multinomial logistic regression.

The spaCy heads decide *whether* a text is a scam; this one only tells the 14 types apart and is trained on
the KB's scam texts alone. On dev.jsonl it picks the right type for 0.81 of the detected scams, against 0.77
for spaCy's multi-class head and 0.78 for a spaCy head fitted on the same scam texts (L2-regularised log-loss
with TF-IDF weighting separates neighbouring types better than spaCy's hashed, dropout-trained layer).

scikit-learn fits it (`kb train` only, imported lazily); checking a message needs only numpy and this file,
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

MAX_N = 3
MIN_DF = 2  # an n-gram seen in one text only says nothing general
DEFAULT_C = 4.0
VOCAB_FILE = "typehead_vocab.json"
WEIGHTS_FILE = "typehead.npz"


def ngrams(chars: Sequence[str]) -> Counter[str]:
    """Character 1..MAX_N-grams of a text given as its model characters (see `model.features`)."""
    s = "".join(chars)
    out: Counter[str] = Counter()
    for n in range(1, MAX_N + 1):
        out.update(s[i : i + n] for i in range(len(s) - n + 1))
    return out


def tfidf(counts: Counter[str], vocab: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and L2-normalised weights (sublinear tf × idf) of the known n-grams; sklearn's TfidfVectorizer
    with `sublinear_tf=True` computes the same."""
    pairs = [(i, c) for g, c in counts.items() if (i := vocab.get(g)) is not None]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    cols = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    vals = np.fromiter((1.0 + math.log(c) for _, c in pairs), dtype=np.float32, count=len(pairs)) * idf[cols]
    return cols, vals / np.linalg.norm(vals)


@dataclass(frozen=True)
class TypeHead:
    labels: tuple[str, ...]
    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,)
    weights: np.ndarray  # (n_features, n_labels): one row per n-gram, so a text gathers only its own rows
    intercept: np.ndarray  # (n_labels,)

    def predict(self, chars: Sequence[str]) -> dict[str, float]:
        """Probability of each type (sums to 1)."""
        cols, vals = tfidf(ngrams(chars), self.vocab, self.idf)
        z = self.intercept + vals @ self.weights[cols]
        z = np.exp(z - z.max())
        p = z / z.sum()
        return {lb: float(v) for lb, v in zip(self.labels, p, strict=True)}

    def save(self, out_dir: Path) -> None:
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        (out_dir / VOCAB_FILE).write_text(json.dumps({"labels": list(self.labels), "ngrams": words},
                                                     ensure_ascii=False), encoding="utf-8")
        np.savez(out_dir / WEIGHTS_FILE, idf=self.idf, weights=self.weights, intercept=self.intercept)

    @classmethod
    def load(cls, path: Path) -> TypeHead | None:
        if not (path / VOCAB_FILE).exists() or not (path / WEIGHTS_FILE).exists():
            return None
        meta = json.loads((path / VOCAB_FILE).read_text(encoding="utf-8"))
        with np.load(path / WEIGHTS_FILE) as w:
            idf, weights, intercept = w["idf"], w["weights"], w["intercept"]
        vocab = {g: i for i, g in enumerate(meta["ngrams"])}
        labels = tuple(meta["labels"])
        if weights.shape != (len(vocab), len(labels)) or idf.shape != (len(vocab),):
            raise ValueError(f"type head in {path} is inconsistent: {weights.shape} vs {len(vocab)} n-grams")
        return cls(labels, vocab, idf, weights, intercept)


def fit(texts: Sequence[Sequence[str]], labels: Sequence[str], c: float = DEFAULT_C) -> TypeHead:
    """Fit on texts (as model characters) and their type ids. Deterministic: lbfgs has no randomness."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    grams = [ngrams(t) for t in texts]
    df: Counter[str] = Counter()
    for g in grams:
        df.update(g.keys())
    words = sorted(w for w, n in df.items() if n >= MIN_DF)
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
    clf = LogisticRegression(C=c, max_iter=3000).fit(x, list(labels))
    classes = tuple(str(c) for c in clf.classes_)
    weights = np.ascontiguousarray(clf.coef_.T, dtype=np.float32)
    intercept = clf.intercept_.astype(np.float32)
    if len(classes) == 2:  # sklearn keeps one column for two classes: expand to the softmax form
        weights = np.hstack([-weights / 2, weights / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return TypeHead(classes, vocab, idf, weights, intercept)
