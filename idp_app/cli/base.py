"""The command classes every `idp` command is made of.

Three things the command-line library does not do for us:

- a flag takes no value, so its help shows no value type (it would show ``<bool>``, as if ``--team true`` were
  the way to give it);
- a negative amount is a value: ``idp correct 7 total_amount -595.00`` corrects a credit note's total, where
  a bare ``-595.00`` would be taken for an unknown option. An option name not known is still refused by name,
  and where it may be a value starting with "-" (a name printed "-ACME-"), the refusal says to put ``--`` first;
- an argument that is not UTF-8 text (a terminal set to Latin-1) is refused in one line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from idp_app.errors import InputError

CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])

# "-8", "-8.00", "-1.234,56", "-1'234.50", "-.5", "-595.00 EUR" (quoted). No lower-case letter: the parser would
# take one for a short option (-u) in the middle of the value.
NEGATIVE_VALUE = re.compile(r"-\.?\d[\d.,' ]*(?: ?[A-Z]{3})?")


def _without_value_type(param: Any) -> None:
    if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
        param.metavar = ""


class Command(TyperCommand):
    """A command whose flags show no value type and whose arguments may be negative numbers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _without_value_type(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _without_value_type(option)
        return option

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for arg in args:
            _utf8(arg)
        before_dashes = args[: args.index("--")] if "--" in args else args
        params = self.get_params(ctx)
        known = {name for param in params for name in (*param.opts, *param.secondary_opts)}
        takes_value = {
            name for param in params if not getattr(param, "is_flag", False) and not getattr(param, "count", False)
            for name in param.opts
        }  # fmt: skip
        negative, unknown = [], []
        i = 0
        while i < len(before_dashes):
            arg = before_dashes[i]
            if arg in takes_value:  # "--row -1": the option's own value, whatever it looks like
                i += 2
                continue
            if NEGATIVE_VALUE.fullmatch(arg):
                negative.append(i)
            elif arg.startswith("-") and arg != "-" and _name(arg) not in known:
                unknown.append(arg)
            i += 1
        if not negative:
            return self._parse_naming_dashes(ctx, args, unknown)
        if unknown:  # the parser says so by name (the negative values taken out, it would name them first)
            return self._parse_naming_dashes(ctx, [a for k, a in enumerate(args) if k not in negative], unknown)
        # every option is known: what the parser does not know now is a negative value
        ctx.ignore_unknown_options = True
        return list(super().parse_args(ctx, args))

    def _parse_naming_dashes(self, ctx: Any, args: list[str], unknown: list[str]) -> list[str]:
        """Parse; an unknown short option given to a command that takes values is perhaps a value starting with
        "-" (a name printed "-ACME-"): the refusal says how to give one."""
        try:
            return list(super().parse_args(ctx, args))
        except Exception as exc:  # the vendored parser's "no such option" (no public name to catch it by)
            takes_arguments = any(getattr(p, "param_type_name", "") == "argument" for p in self.params)
            message = getattr(exc, "message", None)
            value = next((a for a in unknown if not a.startswith("--")), None)
            if value is not None and takes_arguments and isinstance(message, str) and "option" in message:
                exc.message = (  # type: ignore[attr-defined]
                    f'{message} (to give a value that starts with "-", put -- before it, after every option: '
                    f"... --user NAME -- {value})"
                )
            raise


def _utf8(arg: str) -> None:
    """Refuse, in one line, an argument a terminal not set to UTF-8 sent ("M\\xfcller" from a Latin-1 one): it
    cannot be kept, and would fail deep inside the database with a traceback."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        shown = arg.encode("utf-8", "surrogateescape").decode("latin-1")
        if os.path.lexists(arg):  # a file's own name, as another system wrote it: the terminal is not to blame
            typer.echo(f"error: the file name {shown!r} is not UTF-8 text: rename the file, or ingest the folder it "
                       "is in (idp ingest FOLDER reads it)", err=True)  # fmt: skip
        else:
            typer.echo(f"error: {shown!r} is not UTF-8 text: set the terminal to UTF-8 (LANG=C.UTF-8) and type it "
                       "again", err=True)  # fmt: skip
        raise typer.Exit(InputError.exit_code) from None


def _name(arg: str) -> str:
    """The option an argument gives: "--user" of "--user=ann", "-u" of "-uann"."""
    return arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]


class Group(TyperGroup):
    """A group of commands whose --help shows no value type."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _without_value_type(option)
        return option


class Typer(typer.Typer):
    """`typer.Typer` whose commands are `Command`s and groups `Group`s."""

    def __init__(self, *args: Any, cls: type[TyperGroup] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, cls=cls or Group, **kwargs)

    def command(
        self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunction], CommandFunction]:
        return super().command(*args, cls=cls or Command, **kwargs)
