"""`idp` commands: learning (retrain, model list/promote/rollback/golden, simulate)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extractors.errors import ModelFileError
from idp_app.cli.base import Typer
from idp_app.cli.workflow import UserOpt, _acting, app_config, err, handle_errors, permitted
from idp_app.config import AppConfig
from idp_app.errors import InputError
from idp_app.services.users import Permission

out = Console()
model_app = Typer(
    help="The model in use (field and contract scorers): list versions, promote, roll back, the golden set."
)
golden_app = Typer(help="Documents every new model is measured on before promotion.")


def _ws() -> Any:
    from idp_app.services import Workspace

    return Workspace.open(app_config())


@handle_errors
def retrain_cmd(
    user: UserOpt = None,
    if_due: Annotated[
        bool,
        typer.Option(
            "--if-due",
            help="Do nothing (exit 0) unless retraining is due: retrain_after_documents approved since the last "
            "(50 by default), or retrain_every_days passed, in the learning table of routing.toml.",
        ),
    ] = False,
) -> None:
    """Train a new model on the approved invoices, receipts and contracts, holding out the golden set and the most
    recently approved share (20 % by default: holdout_share in the learning table of routing.toml) to measure it
    on; promote it only if it measures better there than the model in use."""
    from idp_app.learning.retrain import retrain

    with _ws() as ws:
        actor = _acting(ws, user)

        def progress(done: int, total: int, what: str) -> None:
            if done == total or done % 50 == 0:
                err.print(f"candidates {done}/{total}", highlight=False)

        report = retrain(ws, actor, force=not if_due, progress=progress)
    for m in report.messages:
        err.print(f"warning: {escape(m)}", highlight=False)
    if report.status == "not_due":
        out.print(f"retraining not due: {report.reasons[0]}", highlight=False, markup=False, soft_wrap=True)
        return
    if report.status in ("too_few", "model_unreadable", "unchanged"):
        out.print(f"not retrained: {report.reasons[0]}", highlight=False, markup=False, soft_wrap=True)
        if report.status == "model_unreadable":
            raise typer.Exit(ModelFileError.exit_code)
        return
    cur, new = report.current.get("accuracy"), report.candidate.get("accuracy")
    line = f"{report.status}: {report.version or '-'}"
    if cur is not None and new is not None:
        line += f" (held-out accuracy {cur:.2%} -> {new:.2%} on {report.holdout_documents} documents"
        line += f", {report.golden_documents} golden)" if report.golden_documents else ")"
    line += f"; trained on {report.training_documents} documents / {report.training_pairs} pairs"
    line += f" in {report.seconds:.1f} s"
    out.print(line, highlight=False, markup=False, soft_wrap=True)
    for reason in report.reasons:
        out.print(f"  {reason}", highlight=False, markup=False, soft_wrap=True)


@handle_errors
def model_list() -> None:
    """Every model version with its status, its held-out accuracy beside the model in use when it was trained (each
    version on its own held-out documents), and who promoted it."""
    from idp_app.learning.registry import Registry, shown_version

    with _ws() as ws:
        registry = Registry(ws.db, ws.config)
        rows = registry.list()
        loaded = registry.load_active()  # what extraction loads, with what it refused on the way
    used, refused = loaded.version, loaded.messages
    used_name = shown_version(used)
    table = Table()
    table.add_column("version", no_wrap=True, min_width=14)  # whole: it is typed back to promote it
    for name in ("status", "in use", "held-out vs. then in use", "training docs", "created", "promoted by"):
        table.add_column(name)
    for r in rows:
        # each version was measured on the documents held out when it was trained, beside the model then in use:
        # the two figures compare; figures of two versions measured on other documents do not
        acc = r.metrics.get("holdout", {}).get("accuracy")
        then = r.metrics.get("holdout_current", {}).get("accuracy")
        shown = f"{acc:.2%}" if acc is not None else ""
        if acc is not None and then is not None:
            shown += f" vs. {then:.2%}"
        overridden = r.status == "promoted" and r.metrics.get("decision", r.status) == "rejected"
        in_use = "yes" if r.active and used == r.version else "no: file refused" if r.active else ""
        table.add_row(
            r.version,
            f"{r.status} (override)" if overridden else r.status,
            in_use,
            shown,
            str(r.training_documents),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.promoted_by or "",
        )
    if not rows:
        out.print(f"no trained model yet: {used_name}, the model shipped, is in use", highlight=False)
        return
    out.print(table)
    for message in refused:
        err.print(f"warning: {escape(message)}; extraction uses {escape(used_name)}", highlight=False)


@handle_errors
def model_promote(
    version: Annotated[str, typer.Argument(help="The version to put in use.")],
    reason: Annotated[
        str | None, typer.Option(help="Why; needed for a version that did not measure better when trained.")
    ] = None,
    user: UserOpt = None,
) -> None:
    """Put a model version in use (supervisors and admins)."""
    from idp_app.learning.registry import Registry

    with _ws() as ws:
        acting = permitted(ws, user, Permission.RETRAIN, "promote models")
        view = Registry(ws.db, ws.config).promote(version, acting, reason)
    out.print(f"promoted {view.version}", highlight=False)


@handle_errors
def model_rollback(user: UserOpt = None) -> None:
    """Stop using the current model; the one used before it is used again."""
    from idp_app.learning.registry import Registry

    with _ws() as ws:
        restored = Registry(ws.db, ws.config).rollback(permitted(ws, user, Permission.RETRAIN, "roll back models"))
    out.print(f"rolled back: {restored} is in use", highlight=False)


@handle_errors
def golden_add(doc: Annotated[int, typer.Argument(help="Document id.")], user: UserOpt = None) -> None:
    """Add a document to the golden set."""
    from idp_app.learning.registry import Registry

    with _ws() as ws:
        Registry(ws.db, ws.config).golden_add(doc, permitted(ws, user, Permission.RETRAIN, "edit the golden set"))
    out.print(f"document {doc} is in the golden set")


@handle_errors
def golden_remove(doc: Annotated[int, typer.Argument(help="Document id.")], user: UserOpt = None) -> None:
    """Remove a document from the golden set."""
    from idp_app.learning.registry import Registry

    with _ws() as ws:
        Registry(ws.db, ws.config).golden_remove(doc, permitted(ws, user, Permission.RETRAIN, "edit the golden set"))
    out.print(f"document {doc} left the golden set")


@handle_errors
def golden_list() -> None:
    """The documents of the golden set."""
    from idp_app.learning.registry import Registry

    with _ws() as ws:
        ids = sorted(Registry(ws.db, ws.config).golden())
        statuses = {i: ws.documents.get(i).status.value for i in ids}
    if not ids:
        out.print("the golden set is empty")
        return
    out.print(" ".join(str(i) for i in ids))
    waiting = [i for i in ids if statuses[i] not in ("approved", "exported")]  # as training pairs are taken
    for i in waiting:  # measured on only once approved again: say so rather than measure on fewer silently
        out.print(f"document {i} ({statuses[i].replace('_', ' ')}): not measured on until it is approved again")


@handle_errors
def simulate_cmd(
    dataset: Annotated[Path, typer.Argument(help="A folder with docs/ and truth.jsonl.")],
    retrain_every: Annotated[int, typer.Option("--retrain-every", min=1, help="Retrain every K documents.")] = 25,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Replay only the first N documents.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes reading documents ahead.")] = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where to write the curve (CSV, JSON, PNG).")] = None,
    window: Annotated[int | None, typer.Option("--window", min=1, help="Documents per point (default K).")] = None,
    cache: Annotated[Path | None, typer.Option("--cache", help="Keep read documents here across runs.")] = None,
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Replay without the vendor memory.")] = False,
) -> None:
    """Replay a dataset as a clerk would meet it, retraining every K documents; print the learning curve."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from idp_app.learning.curve import write_curve
    from idp_app.learning.simulate import simulate

    if not (dataset / "truth.jsonl").is_file():
        raise InputError(f"{dataset}: no truth.jsonl (a dataset folder holds docs/ and truth.jsonl)")
    out_dir = out_dir or Path("learning-curve") / dataset.name
    size = window or retrain_every
    cache = cache or AppConfig.from_env().cache_dir / "replay-documents"
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:  # fmt: skip
        task = bar.add_task("reading", total=None)

        def on_prefetch(i: int) -> None:
            bar.update(task, completed=i, description="reading documents")

        def on_doc(i: int, total: int, o: Any) -> None:
            bar.update(task, completed=i, total=total, description=f"replaying {o.doc_id}")

        def on_retrain(i: int, r: Any) -> None:
            bar.console.print(
                f"after {i}: retrain {r.status} {r.version or ''} {'; '.join(r.reasons)}", highlight=False
            )

        report = simulate(dataset, retrain_every=retrain_every, limit=limit, workers=workers, cache_dir=cache,
                          use_memory=not no_memory, progress=on_doc, on_retrain=on_retrain,
                          on_prefetch=on_prefetch, checkpoint=lambda rep: write_curve(rep, out_dir, size))  # fmt: skip
    table = Table("documents", "corrections/doc", "field accuracy", "pass w/o review", "wrong among passing", "model")
    for row in report.curve(size):
        table.add_row(
            f"{row['first']}-{row['last']}",
            f"{row['corrections_per_document']:.2f}",
            f"{row['field_accuracy']:.3f}",
            f"{row['pass_without_review']:.3f}",
            f"{row['wrong_among_passing']:.3f}",
            row["model_version"],
        )
    out.print(table)
    s = report.summary()
    ratio = "none: no corrections at first" if s["corrections_ratio"] is None else f"{s['corrections_ratio']:.3f}"
    out.print(
        f"first {s['edge']}: {s['first']['corrections_per_document']:.2f} corrections/doc, accuracy "
        f"{s['first']['field_accuracy']:.3f}; last {s['edge']}: {s['last']['corrections_per_document']:.2f} "
        f"corrections/doc, accuracy {s['last']['field_accuracy']:.3f} (ratio {ratio}, gain {s['accuracy_gain']:+.3f})",
        highlight=False,
    )
    for part in ("first", "last"):
        counts = ", ".join(f"{name} {n}" for name, n in s[part]["corrected_fields"].items()) or "none"
        out.print(f"corrected in the {part} {s['edge']}: {counts}", highlight=False)
    paths = write_curve(report, out_dir, size)
    out.print(f"written {paths['png']}, {paths['csv']}, {paths['json']}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("retrain")(retrain_cmd)
    app.command("simulate")(simulate_cmd)
    model_app.command("list")(model_list)
    model_app.command("promote")(model_promote)
    model_app.command("rollback")(model_rollback)
    golden_app.command("add")(golden_add)
    golden_app.command("remove")(golden_remove)
    golden_app.command("list")(golden_list)
    model_app.add_typer(golden_app, name="golden")
    app.add_typer(model_app, name="model")
