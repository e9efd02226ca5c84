"""Load the knowledge base from a directory, collecting every error with its file and line.

Loading is all-or-nothing: `load_kb` returns a KnowledgeBase only when there is no error, so a caller that
keeps the previous value on failure can never run with half an edit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2
import yaml
from pydantic import BaseModel, ValidationError

from knowledge_base.dialog_schema import MessagesFile, ScenarioFile, TipsFile
from knowledge_base.schema import (
    AUDIENCES,
    TYPE_IDS,
    AllowlistFile,
    BenignFile,
    ContextFile,
    FraudTypeFile,
    GenericFile,
    RepliesFile,
    Signals,
    TrainingFile,
)

DEFAULT_DIR = Path(__file__).resolve().parent
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster, same marks
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class KBError:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    types: dict[str, FraudTypeFile]
    generic: GenericFile
    context: ContextFile
    allowlist: AllowlistFile
    benign: BenignFile
    replies: dict[str, RepliesFile]
    messages: MessagesFile
    scenario: ScenarioFile
    tips: TipsFile
    training: dict[str, TrainingFile]  # file stem → bulk training texts (optional)
    fingerprint: str  # sha256 over every file: tells a trained model which KB it was trained on
    root: Path = field(compare=False)


@dataclass
class LoadResult:
    kb: KnowledgeBase | None
    errors: list[KBError]


def _yaml_with_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int], list[tuple[int, str]]]:
    """Parse YAML and remember the line of every node by its path; report duplicate keys."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[tuple[Any, ...], int] = {}
    dups: list[tuple[int, str]] = []

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            seen: set[Any] = set()
            for k, v in n.value:
                if k.value in seen:
                    dups.append((k.start_mark.line + 1, f"duplicate key '{k.value}'"))
                seen.add(k.value)
                walk(v, (*path, k.value))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines, dups


def _line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for cut in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:cut])
        if key in lines:
            return lines[key]
    return None


def _regex_options() -> re2.Options:
    opts = re2.Options()
    opts.log_errors = False
    opts.max_mem = 8 << 20  # bounds the DFA of one admin pattern
    return opts


def check_regex(pattern: str) -> str | None:
    """None when RE2 accepts it (linear-time by construction), else the reason."""
    try:
        re2.compile(pattern, _regex_options())
    except re2.error as exc:  # look-around, back-references, bad syntax
        msg = exc.args[0] if exc.args else str(exc)
        return f"regex not accepted ({msg.decode() if isinstance(msg, bytes) else msg}): {pattern}"
    return None


def _semantic_errors(signals: Signals, base: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    ids: set[str] = set()
    for i, p in enumerate(signals.phrases):
        if err := check_regex(p.pattern):
            out.append(((*base, "phrases", i, "pattern"), err))
        if p.id in ids:
            out.append(((*base, "phrases", i, "id"), f"duplicate signal id '{p.id}'"))
        ids.add(p.id)
    for i, s in enumerate(signals.sequences):
        for j, term in enumerate(s.terms):
            if err := check_regex(term):
                out.append(((*base, "sequences", i, "terms", j), err))
        if s.id in ids:
            out.append(((*base, "sequences", i, "id"), f"duplicate signal id '{s.id}'"))
        ids.add(s.id)
    terms: set[str] = set()
    for i, k in enumerate(signals.keywords):
        if k.term in terms:
            out.append(((*base, "keywords", i, "term"), f"duplicate keyword '{k.term}'"))
        terms.add(k.term)
    return out


def _parse(path: Path, rel: str, model: type[BaseModel], errors: list[KBError]) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(KBError(rel, None, f"cannot read: {exc.strerror}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        errors.append(KBError(rel, None, f"file too large ({len(raw)} bytes, limit {MAX_FILE_BYTES})"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(KBError(rel, None, f"not UTF-8 text (byte {exc.start})"))
        return None
    try:
        data, lines, dups = _yaml_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        errors.append(KBError(rel, mark.line + 1 if mark else None, f"YAML syntax: {exc.problem}"))
        return None
    except yaml.YAMLError as exc:
        errors.append(KBError(rel, None, f"YAML error: {exc}"))
        return None
    for line, msg in dups:
        errors.append(KBError(rel, line, msg))
    if not isinstance(data, dict):
        errors.append(KBError(rel, 1, "the file must be a mapping (key: value)"))
        return None
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = tuple(e["loc"])
            where = ".".join(str(p) for p in loc) or "(file)"
            errors.append(KBError(rel, _line_for(lines, loc), f"{where}: {e['msg']}"))
        return None
    sig_roots: list[tuple[tuple[Any, ...], Signals]] = []
    if isinstance(obj, FraudTypeFile | GenericFile):
        sig_roots.append((("signals",), obj.signals))
    if isinstance(obj, ContextFile):
        sig_roots += [(("propaganda",), obj.propaganda), (("legit_notice",), obj.legit_notice)]
    for base, sig in sig_roots:
        for loc, msg in _semantic_errors(sig, base):
            errors.append(KBError(rel, _line_for(lines, loc), msg))
    return obj


def load_kb(root: Path | str = DEFAULT_DIR, with_training: bool = False) -> LoadResult:
    """Load and validate the KB. The bulk training texts are only read when asked for (training, validation):
    the running engine does not need them."""
    root = Path(root)
    errors: list[KBError] = []
    if not root.is_dir():
        return LoadResult(None, [KBError(str(root), None, "knowledge base directory not found")])
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    for p in files:
        digest.update(p.relative_to(root).as_posix().encode())
        digest.update(p.read_bytes())

    types: dict[str, FraudTypeFile] = {}
    for tid in TYPE_IDS:
        rel = f"patterns/{tid}.yaml"
        path = root / rel
        if not path.exists():
            errors.append(KBError(rel, None, f"missing file for fraud type '{tid}'"))
            continue
        obj = _parse(path, rel, FraudTypeFile, errors)
        if obj is None:
            continue
        if obj.id != tid:
            errors.append(KBError(rel, 1, f"id '{obj.id}' does not match the file name '{tid}'"))
            continue
        types[tid] = obj
    for p in sorted((root / "patterns").glob("*.yaml")):
        if p.stem not in TYPE_IDS:
            errors.append(KBError(f"patterns/{p.name}", None,
                                  f"unknown fraud type '{p.stem}'; known: {', '.join(TYPE_IDS)}"))

    def required(folder: str, name: str, model: type[BaseModel]) -> Any:
        rel = f"{folder}/{name}.yaml"
        if not (root / rel).exists():
            errors.append(KBError(rel, None, f"missing {folder} file"))
            return None
        return _parse(root / rel, rel, model, errors)

    def shared(name: str, model: type[BaseModel]) -> Any:
        return required("shared", name, model)

    generic = shared("generic", GenericFile)
    context = shared("context", ContextFile)
    allowlist = shared("allowlist", AllowlistFile)
    benign = shared("benign", BenignFile)
    if generic is not None:
        for key, tids in generic.suggests.items():
            for t in tids:
                if t not in TYPE_IDS:
                    errors.append(KBError("shared/generic.yaml", None, f"suggests.{key}: unknown type '{t}'"))

    replies: dict[str, RepliesFile] = {}
    for aud in AUDIENCES:
        rel = f"replies/{aud}.yaml"
        if not (root / rel).exists():
            errors.append(KBError(rel, None, "missing replies file"))
            continue
        obj = _parse(root / rel, rel, RepliesFile, errors)
        if obj is not None:
            missing = {"none", "low", "medium", "high"} - set(obj.levels)
            if missing:
                errors.append(KBError(rel, None, f"levels: missing {', '.join(sorted(missing))}"))
            replies[aud] = obj

    messages = required("dialog", "messages", MessagesFile)
    scenario = required("dialog", "scenario", ScenarioFile)
    tips = required("dialog", "tips", TipsFile)

    training: dict[str, TrainingFile] = {}
    for p in sorted((root / "training").glob("*.yaml")) if with_training else ():
        rel = f"training/{p.name}"
        obj = _parse(p, rel, TrainingFile, errors)
        if obj is None:
            continue
        if obj.label not in (*TYPE_IDS, "benign"):
            errors.append(KBError(rel, None, f"label '{obj.label}' is not a type id or 'benign'"))
            continue
        training[p.stem] = obj

    if errors:
        return LoadResult(None, errors)
    return LoadResult(
        KnowledgeBase(types=types, generic=generic, context=context, allowlist=allowlist, benign=benign,
                      replies=replies, messages=messages, scenario=scenario, tips=tips, training=training,
                      fingerprint=digest.hexdigest()[:16], root=root),
        [],
    )
