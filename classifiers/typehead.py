"""Layer 4b: which kind of scam it is, and a second opinion on whether it is one — TF-IDF over character
1–3-grams with two multinomial logistic regressions on the same features.

The type regression tells the 14 types apart and is fitted on the KB's scam texts alone. On dev.jsonl it picks
the right type for 0.81 of the detected scams, against 0.77 for spaCy's multi-class head (L2-regularised
log-loss with TF-IDF weighting separates neighbouring types better than spaCy's hashed, dropout-trained layer).
Both regressions also read the opening of the text as a second, separate set of n-grams (see HEAD_CHARS).

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
# The opening says who the sender claims to be (我是京东客服 / 爸，我换号了 / 您好，这里是某某贷款), the
# strongest clue to the kind of scam and to whether it is one, and in a long chat it is diluted by everything
# after it. Both regressions therefore also see the n-grams of the first HEAD_CHARS model characters as
# features of their own. Session 7, dev.jsonl: type accuracy (a missed scam counts as wrong) 0.8157 → 0.8242,
# recall 0.9553 → 0.9568, false alarms 0.0237 → 0.0231 (meeting transcripts 0.051 → 0.041); team holdout type
# 0.850 → 0.875, false alarms 0.029 → 0.021. 20–80 characters helped alike; the last 60 characters (−0.8 type
# points) and the words after 我是/自称 (−0.1) did not.
HEAD_CHARS = 40
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
    types: Linear  # both over the whole-text columns, then the opening's (head_vocab) columns
    screen: Linear | None = None
    head_vocab: dict[str, int] | None = None  # n-grams of the opening (HEAD_CHARS); None in older models
    head_idf: np.ndarray | None = None
    head_chars: int = 0

    @property
    def labels(self) -> tuple[str, ...]:
        return self.types.labels

    def read(self, chars: Sequence[str]) -> Reading:
        cols, vals = tfidf(ngrams(chars), self.vocab, self.idf)
        if self.head_vocab is not None and self.head_idf is not None:
            hcols, hvals = tfidf(ngrams(chars[: self.head_chars]), self.head_vocab, self.head_idf)
            cols = np.concatenate([cols, hcols + len(self.vocab)])
            vals = np.concatenate([vals, hvals])
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
        def by_column(vocab: dict[str, int]) -> list[str]:
            return sorted(vocab, key=vocab.__getitem__)

        meta = {"labels": list(self.types.labels), "ngrams": by_column(self.vocab),
                "screen_labels": list(self.screen.labels) if self.screen else [],
                "head_chars": self.head_chars if self.head_vocab is not None else 0,
                "head_ngrams": by_column(self.head_vocab) if self.head_vocab is not None else []}
        (out_dir / VOCAB_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {"idf": self.idf, "weights": self.types.weights, "intercept": self.types.intercept}
        if self.screen is not None:
            arrays |= {"screen_weights": self.screen.weights, "screen_intercept": self.screen.intercept}
        if self.head_idf is not None:
            arrays |= {"head_idf": self.head_idf}
        np.savez(out_dir / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> TypeHead | None:
        if not (path / VOCAB_FILE).exists() or not (path / WEIGHTS_FILE).exists():
            return None
        meta = json.loads((path / VOCAB_FILE).read_text(encoding="utf-8"))
        vocab = {g: i for i, g in enumerate(meta["ngrams"])}
        head_chars = int(meta.get("head_chars") or 0)
        head_vocab = {g: i for i, g in enumerate(meta.get("head_ngrams") or [])} if head_chars else None
        with np.load(path / WEIGHTS_FILE) as w:
            idf = w["idf"]
            if head_vocab is not None and "head_idf" not in w.files:
                raise ValueError(f"type head in {path} is inconsistent: the opening's idf is missing")
            head_idf = w["head_idf"] if head_vocab is not None else None
            types = Linear(tuple(meta["labels"]), w["weights"], w["intercept"])
            screen_labels = tuple(meta.get("screen_labels") or ())
            screen = Linear(screen_labels, w["screen_weights"], w["screen_intercept"]) if screen_labels else None
        n_head = len(head_vocab) if head_vocab is not None else 0
        for lin in (types, screen):
            if lin is not None and (lin.weights.shape != (len(vocab) + n_head, len(lin.labels)) or
                                    lin.intercept.shape != (len(lin.labels),)):
                raise ValueError(f"type head in {path} is inconsistent: {lin.weights.shape} vs "
                                 f"{len(vocab)} + {n_head} n-grams")
        if idf.shape != (len(vocab),) or (head_idf is not None and head_idf.shape != (n_head,)):
            raise ValueError(f"type head in {path} is inconsistent: idf does not match the n-gram lists")
        if screen is not None and BENIGN not in screen.labels:
            raise ValueError(f"type head in {path}: the screen has no '{BENIGN}' label")
        return cls(vocab, idf, types, screen, head_vocab, head_idf, head_chars)


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


def _table(grams: Sequence[Counter[str]], min_df: int):  # type: ignore[no-untyped-def]
    """Vocabulary, idf and the TF-IDF matrix of the given n-gram counts (one row per text)."""
    from scipy.sparse import csr_matrix

    df: Counter[str] = Counter()
    for g in grams:
        df.update(g.keys())
    words = sorted(w for w, n in df.items() if n >= min_df)
    vocab = {w: i for i, w in enumerate(words)}
    n_docs = len(grams)
    # sklearn's smooth idf: ln((1 + n) / (1 + df)) + 1
    idf = np.array([math.log((1 + n_docs) / (1 + df[w])) + 1.0 for w in words], dtype=np.float32)
    rows, cols, vals = [], [], []
    for r, g in enumerate(grams):
        cs, v = tfidf(g, vocab, idf)
        rows += [r] * len(cs)
        cols += cs.tolist()
        vals += v.tolist()
    return vocab, idf, csr_matrix((vals, (rows, cols)), shape=(n_docs, len(words)), dtype=np.float32)


def fit(texts: Sequence[Sequence[str]], labels: Sequence[str], c: float = DEFAULT_C,
        screen_c: float = SCREEN_C, min_df: int = MIN_DF, with_screen: bool = True,
        head_chars: int = HEAD_CHARS) -> TypeHead:
    """Fit on texts (as model characters) and their labels (type ids, and `benign` for the screen).
    Both regressions read the whole-text and the opening's n-grams (no opening when head_chars is 0). The
    vocabularies and idf come from all texts; the type regression sees the scam texts only. Needs at least two
    scam types. Deterministic: lbfgs has no randomness."""
    from scipy.sparse import hstack

    vocab, idf, x = _table([ngrams(t) for t in texts], min_df)
    head_vocab, head_idf = None, None
    if head_chars > 0:
        head_vocab, head_idf, x_head = _table([ngrams(t[:head_chars]) for t in texts], min_df)
        x = hstack([x, x_head]).tocsr()
    scam = [i for i, lb in enumerate(labels) if lb != BENIGN]
    types = _regression(x[scam], [labels[i] for i in scam], c)
    screen = _regression(x, labels, screen_c) if with_screen and len(scam) < len(texts) else None
    return TypeHead(vocab, idf, types, screen, head_vocab, head_idf, head_chars if head_vocab is not None else 0)
