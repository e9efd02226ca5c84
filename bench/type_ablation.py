"""Would these training texts help tell scam types apart? Measured with the type head alone.

Retraining the whole learned layer takes minutes, and the spaCy heads move recall by about ±1 point with the
seed alone, which hides the effect of a few hundred texts. The type head (TF-IDF + logistic regression) is
deterministic and fits in about a minute, so this tool keeps the committed model's fraud/benign decision
fixed, refits only the type head — on the KB as it is, then with each candidate file added — and prints type
accuracy on a labelled corpus (a missed scam counts as a wrong type, as in `main.py eval`).

    python bench/type_ablation.py --corpus ../shared/corpus/dev.jsonl knowledge_base/training_unused/romance3.yaml

Tune on dev.jsonl only. A file that helps here still needs `kb train` and `main.py eval` for recall and FPR.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tables import table  # noqa: E402
from classifiers.engine import DEFAULT_MODEL_DIR, build_engine  # noqa: E402
from classifiers.model import BENIGN, features  # noqa: E402
from classifiers.scorer import score  # noqa: E402
from classifiers.typehead import fit  # noqa: E402
from knowledge_base.examples import training_set  # noqa: E402
from knowledge_base.loader import DEFAULT_DIR, load_kb  # noqa: E402


def _candidate(path: Path) -> tuple[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("texts"), list) or not isinstance(data.get("label"), str):
        raise SystemExit(f"{path}: expected `label:` and `texts:` like the files in knowledge_base/training/")
    return data["label"], [str(t) for t in data["texts"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path, help="candidate training files (label + texts)")
    ap.add_argument("--corpus", type=Path, required=True, help="labelled JSONL (id, text, label, type)")
    ap.add_argument("--kb-dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    args = ap.parse_args(argv)

    engine = build_engine(args.kb_dir, args.model_dir)
    if engine.model is None:
        raise SystemExit(f"no trained model in {args.model_dir}: run `python main.py kb train` first")
    kb = load_kb(args.kb_dir, with_training=True).kb
    assert kb is not None  # build_engine above has loaded the same directory
    norm = engine.normalizer
    # Benign texts too: they shape the n-gram table and idf exactly as in `kb train` (the screen is not refitted).
    base = [(features(norm(ex.text).text), ex.label) for ex in training_set(kb)]

    # What does not depend on the type head is computed once per corpus row.
    rows = []
    for line in args.corpus.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("label") != "fraud" or not r.get("type"):
            continue
        n = norm(r["text"])
        t = n.text
        pred = engine.model.predict(t) if t else None
        rows.append((r["type"], engine.rules.match(t), engine.entities.extract(t), pred, t, n.turns))
    print(f"{len(rows)} typed scams in {args.corpus.name}", file=sys.stderr)

    def accuracy(extra: list[tuple[list[str], str]]) -> tuple[float, Counter[tuple[str, str]]]:
        data = base + extra
        head = fit([c for c, _ in data], [lb for _, lb in data], with_screen=False)
        ok, wrong = 0, Counter()
        for gold, hits, ents, pred, t, turns in rows:
            if pred is not None:
                pred = replace(pred, types=head.predict(features(t)))
            s = score(hits, ents, pred, kb.generic, kb.context.propaganda_threshold, t, turns)
            got = s.fraud_type if s.level in ("medium", "high") else None
            ok += got == gold
            if got != gold:
                wrong[(gold, got or "(missed)")] += 1
        return ok / len(rows), wrong

    out = []
    t0 = time.perf_counter()
    acc0, wrong0 = accuracy([])
    n_scams = sum(lb != BENIGN for _, lb in base)
    out.append(["knowledge base as it is", n_scams, f"{acc0:.4f}", "", ""])
    print(f"  fitted in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    for path in args.files:
        label, texts = _candidate(path)
        extra = [(features(norm(x).text), label) for x in texts]
        acc, wrong = accuracy(extra)
        moved = [(k, wrong0[k] - wrong[k]) for k in set(wrong0) | set(wrong)]
        best = max(moved, key=lambda kv: kv[1])
        worst = min(moved, key=lambda kv: kv[1])
        out.append([f"+ {path.name} ({label})", n_scams + len(extra), f"{acc:.4f}", f"{acc - acc0:+.4f}",
                    f"fixed {best[1]} {best[0][0]}→{best[0][1]}; broke {-worst[1]} {worst[0][0]}→{worst[0][1]}"])
    print(table(["training", "scam texts", "type acc", "change", "largest moves"], out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
