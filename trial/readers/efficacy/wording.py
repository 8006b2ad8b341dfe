"""Small pieces of wording shared by the efficacy summaries: arm labels inside a sentence, lists,
p-values in words (from the pack's ``fmt_p``)."""

from __future__ import annotations

from trial.reports.formats import fmt_p


def lower_label(label: str) -> str:
    """An arm label inside a sentence: ``Topical minoxidil 5 %`` → ``topical minoxidil 5 %``
    (acronyms such as ``MN arm`` keep their capitals)."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def and_list(parts: list[str]) -> str:
    """``a``; ``a and b``; ``a, b and c``."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def p_words(p: float | None) -> str:
    """``p < 0.001``, ``p = 0.042`` (the pack's rounding), ``p not available``."""
    text = fmt_p(p)
    if text == "–":
        return "p not available"
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"
