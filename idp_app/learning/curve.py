"""The learning curve of a replay as CSV, JSON and a PNG plot (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from idp_app.learning.simulate import SimulationReport


def write_curve(report: SimulationReport, out_dir: Path, window: int, title: str = "") -> dict[str, Path]:
    """Write ``learning_curve.csv``, ``learning_curve.json`` and ``learning_curve.png`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = report.curve(window)
    paths = {
        "csv": out_dir / "learning_curve.csv",
        "json": out_dir / "learning_curve.json",
        "png": out_dir / "learning_curve.png",
    }
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else ["first"])
        writer.writeheader()
        writer.writerows(rows)
    data: dict[str, Any] = {
        "dataset": report.dataset,
        "window": window,
        "curve": rows,
        "summary": report.summary(),
        "documents": [
            {
                "index": o.index,
                "id": o.doc_id,
                "fields": o.fields,
                "corrections": o.corrections,
                "score": round(o.score, 4),
                "passing": o.passing,
                "model_version": o.model_version,
                "memory_hit": o.memory_hit,
                "corrected": list(o.corrected),
                "error": o.error,
            }
            for o in report.outcomes
        ],
    }
    paths["json"].write_text(json.dumps(data, indent=1), encoding="utf-8")
    plot(rows, report, paths["png"], title or Path(report.dataset).name)
    return paths


def retraining_lines(report: SimulationReport) -> list[tuple[int, bool]]:
    """Where the plot marks a retraining (after how many documents, and whether it was promoted): only where a
    model was trained and measured, not where there were too few documents or nothing new."""
    return [(after, r.promoted) for after, r in report.retrains if r.status in ("promoted", "rejected")]


def plot(rows: list[dict[str, Any]], report: SimulationReport, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["last"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    ax1.plot(x, [r["corrections_per_document"] for r in rows], marker="o", color="tab:red")
    ax1.set_ylabel("corrections per document")
    ax1.set_ylim(bottom=0)
    ax1.grid(alpha=0.3)
    ax2.plot(x, [r["field_accuracy"] for r in rows], marker="o", label="field accuracy")
    ax2.plot(x, [r["pass_without_review"] for r in rows], marker="s", label="fields passing without review")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("documents replayed")
    ax2.grid(alpha=0.3)
    for after, promoted in retraining_lines(report):
        for ax in (ax1, ax2):
            ax.axvline(after, color="tab:green" if promoted else "0.7", linestyle="--", linewidth=0.8)
    ax2.legend(loc="lower right")
    fig.suptitle(f"Learning curve: {title} (dashed: retraining, green = promoted)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
