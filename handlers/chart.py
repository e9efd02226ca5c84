"""The /stats chart: cases per week by fraud type, as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

import io

MAX_TYPES = 6


def weekly_chart(by_week: dict[str, dict[str, int]]) -> bytes | None:
    """Stacked bars of the last weeks; the smaller types are grouped as "others". None when there is no data."""
    if not by_week:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = sorted(by_week)[-8:]
    totals: dict[str, int] = {}
    for w in weeks:
        for t, n in by_week[w].items():
            totals[t] = totals.get(t, 0) + n
    top = sorted(totals, key=lambda t: -totals[t])[:MAX_TYPES]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    bottom = [0] * len(weeks)
    for t in [*top, "others"]:
        values = [by_week[w].get(t, 0) if t != "others" else
                  sum(n for k, n in by_week[w].items() if k not in top) for w in weeks]
        if not any(values):
            continue
        ax.bar(weeks, values, bottom=bottom, label=t)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("cases")
    ax.set_title("Reported cases per week by fraud type")
    ax.legend(fontsize=8, loc="upper left")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
