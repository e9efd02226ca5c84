"""Text → Verdict: normalisation, entities, KB rules, fuzzy and learned layers, scoring."""
