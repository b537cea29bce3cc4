"""The ``idp`` command line: a thin layer over the application services.

Each command group lives in its own module with a ``register(app)`` function.
"""

from __future__ import annotations

from idp_app.cli import demo, documents, export, info, learning, report, samples, workflow
from idp_app.cli.base import Typer

app = Typer(
    name="idp",
    help="IDP Desk: extract fields from invoices and contracts, route them for review, learn from corrections.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """IDP Desk: extract fields from invoices and contracts, route them for review, learn from corrections."""


for _module in (info, demo, samples, documents, workflow, learning, export, report):
    _module.register(app)


def main() -> None:
    app()
