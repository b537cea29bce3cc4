"""Bad input on the command line: one clear line on stderr and a non-zero exit code, never a traceback; options
refused by the parser when out of range; messages that say what is wrong; help that tells the truth."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.models import OptionInfo
from typer.testing import CliRunner

from idp_app.cli import app
from idp_app.config import AppConfig
from idp_app.errors import ConfigError, InputError, InvalidValueError, NotFoundError, PermissionDeniedError
from idp_app.services import Workspace
from idp_app.services.values import LINE_ITEM_TYPES, RESOURCES, schema_types

runner = CliRunner()

ANY_INT = {("samples", "--seed")}
"""Int options where every value is valid (a seed); every other int option must have a lower bound."""


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """IDP_HOME in a temporary folder: a command that should have been refused touches no real data."""
    monkeypatch.setenv("IDP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("IDP_DATABASE_URL", raising=False)
    return tmp_path / "home"


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_one_error_line(result: Any, exit_code: int) -> str:
    """The command failed with ``exit_code`` and said why in exactly one line on stderr; returns that line."""
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return str(lines[0])


def doc_id(number: str) -> int:
    listing = json.loads(invoke("queue", "--json").stdout)
    return int(next(i["id"] for i in listing["items"] if i["invoice_number"] == number))


# -- 1. configuration errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["queue"], ["db", "upgrade"], ["demo", "--no-window"]])
def test_a_data_directory_that_is_a_file_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    not_a_folder = tmp_path / "idp-home"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setenv("IDP_HOME", str(not_a_folder))
    monkeypatch.delenv("IDP_DATABASE_URL", raising=False)
    line = assert_one_error_line(invoke(*command), ConfigError.exit_code)
    assert str(not_a_folder) in line and "IDP_HOME" in line


@pytest.mark.parametrize("url", ["notaurl", "nosuchdb://host/db", "postgresql+psycopg://ann:s3cret@db:port/idp"])
@pytest.mark.parametrize("command", [["queue"], ["db", "upgrade"]])
def test_a_malformed_database_url_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, command: list[str]
) -> None:
    monkeypatch.setenv("IDP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("IDP_DATABASE_URL", url)
    line = assert_one_error_line(invoke(*command), ConfigError.exit_code)
    assert "IDP_DATABASE_URL" in line
    assert "s3cret" not in line  # a URL may hold a password: it is not repeated


def test_a_database_driver_that_is_not_installed_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    monkeypatch.setenv("IDP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("IDP_DATABASE_URL", "postgresql+psycopg2://ann:s3cret@db/idp")
    line = assert_one_error_line(invoke("queue"), ConfigError.exit_code)
    assert "psycopg2" in line and "s3cret" not in line


def test_a_damaged_database_file_is_one_error_line_saying_so(home: Path) -> None:
    database = home / "idp.sqlite3"
    for suffix in ("-wal", "-shm"):
        (home / f"idp.sqlite3{suffix}").unlink(missing_ok=True)
    database.write_text("not a database\n", encoding="utf-8")
    line = assert_one_error_line(invoke("queue"), 34)
    assert "file is not a database" in line and f"the database file in {home} is damaged" in line


def test_a_database_a_newer_version_upgraded_is_refused_by_name(home: Path) -> None:
    import sqlite3

    with sqlite3.connect(home / "idp.sqlite3") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    line = assert_one_error_line(invoke("queue"), 30)
    assert "revision 0099_future, which a newer version of IDP Desk wrote" in line
    with sqlite3.connect(home / "idp.sqlite3") as conn:  # not "upgraded" past what it cannot know
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0099_future",)


@pytest.mark.parametrize("name", ["q?mode=ro", "pct%41b"])
def test_a_data_directory_whose_name_looks_like_a_url_holds_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A "?" or "%" in a folder's name is part of it (the database went to another folder, or none)."""
    monkeypatch.setenv("IDP_HOME", str(tmp_path / name))
    monkeypatch.delenv("IDP_DATABASE_URL", raising=False)
    assert invoke("queue").exit_code == 0
    assert (tmp_path / name / "idp.sqlite3").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# -- 2. one line, whatever its length; failures on stderr ---------------------------------------------------


def test_a_long_error_is_one_line(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / ("x" * 150) / "and a few words after it that would wrap at eighty columns"
    line = assert_one_error_line(invoke("ingest", str(missing)), 32)
    assert str(missing) in line


def test_an_error_is_shown_as_given_brackets_and_all(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "[/bold] and [red]brackets[/red]"
    line = assert_one_error_line(invoke("ingest", str(missing)), 32)
    assert str(missing) in line


def test_ingest_reports_failed_documents_on_stderr_and_the_summary_on_stdout(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    result = invoke("ingest", str(folder), "--workers", "0")
    assert result.exit_code != 0
    assert "broken.pdf" in result.stderr and "broken.pdf" not in result.stdout
    summary = result.stdout.splitlines()
    assert len(summary) == 1 and "failed 1" in summary[0]


# -- 3. thresholds only for fields a schema has ------------------------------------------------------------


def test_threshold_refuses_a_field_no_schema_has(home: Path) -> None:
    policy_file = home / "routing.toml"
    before = policy_file.read_text(encoding="utf-8") if policy_file.exists() else None
    line = assert_one_error_line(
        invoke("threshold", "0.85", "--field", "nosuch", "--user", "sup"), NotFoundError.exit_code
    )
    assert "nosuch" in line and "resources/schemas" in line
    after = policy_file.read_text(encoding="utf-8") if policy_file.exists() else None
    assert after == before


def test_threshold_takes_fields_of_every_schema_and_line_item_columns(home: Path) -> None:
    schemas = sorted((RESOURCES / "schemas").glob("*.toml"))
    names = {next(iter(schema_types(p.stem))) for p in schemas} | {next(iter(LINE_ITEM_TYPES))}
    for name in sorted(names):
        result = invoke("threshold", "0.85", "--field", name, "--user", "sup")
        assert result.exit_code == 0, result.output
        with Workspace.open(AppConfig.from_env()) as ws:
            assert ws.policy.threshold(name) == 0.85


def test_policy_set_and_show_at_the_command_line(home: Path) -> None:
    result = invoke("policy", "set", "rules.max_total", '{ EUR = "5000.00" }', "--user", "sup")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == 'rules.max_total = {EUR = "5000.00"} (the team\'s policy, for every desk)'
    shown = invoke("policy", "show").stdout.splitlines()
    [line] = [ln for ln in shown if ln.startswith("rules.max_total ")]
    assert line.endswith("# the team's policy")
    assert any(ln.startswith("rules.arithmetic = true") and ln.endswith("# default") for ln in shown)
    assert 'max_total = {EUR = "5000.00"}' in invoke("policy", "show", "--team").stdout
    line = assert_one_error_line(
        invoke("policy", "set", "rules.max_total", "5000 EUR", "--user", "sup"), InvalidValueError.exit_code
    )
    assert "not a TOML value" in line
    line = assert_one_error_line(
        invoke("policy", "set", "rules.maxtotal", "1", "--user", "sup"), NotFoundError.exit_code
    )
    assert "rules.max_total" in line  # the keys there are


def test_eval_of_a_truth_file_that_does_not_parse_says_which_line(tmp_path: Path) -> None:
    (tmp_path / "truth.jsonl").write_text('{"id": "a", "file": "docs/a.pdf"}\nnot json\n[1, 2]\n', encoding="utf-8")
    line = assert_one_error_line(invoke("eval", str(tmp_path)), InputError.exit_code)
    assert "truth.jsonl:2: not a truth record" in line
    line = assert_one_error_line(invoke("eval", str(tmp_path / "nowhere")), InputError.exit_code)
    assert "has no truth.jsonl" in line


# -- 4. numbers in range -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "data", "--limit", "-1"],
        ["eval", "data", "--limit", "0"],
        ["eval", "data", "--workers", "0"],
        ["eval", "data", "--workers", "-2"],
        ["ingest", "in", "--workers", "-1"],
        ["ingest", "in", "--watch", "--interval", "0"],
        ["audit", "log", "--limit", "0"],
        ["audit", "log", "--limit", "-1"],
        ["correct", "1", "amount", "1.00", "--row", "0"],
        ["queue", "--min-confidence", "1.5"],
    ],
)
def test_out_of_range_numbers_are_refused_by_the_parser(empty_home: Path, args: list[str]) -> None:
    result = invoke(*args)
    option = next(a for a in reversed(args) if a.startswith("--"))
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


def _commands(typer_app: typer.Typer, prefix: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for info in typer_app.registered_commands:
        assert info.callback is not None
        yield (prefix + (info.name or info.callback.__name__)).strip(), info.callback
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None
        yield from _commands(group.typer_instance, f"{prefix}{group.name} ")


def _options(fn: Callable[..., Any]) -> Iterator[tuple[str, Any, OptionInfo]]:
    """(name, annotation, OptionInfo) of each option of a command function, declared either way typer allows."""
    fn = inspect.unwrap(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    for name, param in inspect.signature(fn).parameters.items():
        hint = hints[name]
        found = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, OptionInfo)]
        if isinstance(param.default, OptionInfo):
            found.append(param.default)
        base = typing.get_args(hint)[0] if found and hasattr(hint, "__metadata__") else hint
        for info in found:
            # in Annotated[..., typer.Option("--flag")] the first declaration sits where a default would
            decls = [info.default, *info.param_decls] if str(info.default).startswith("-") else info.param_decls
            yield (decls[0] if decls else "--" + name.replace("_", "-")), base, info


def test_every_int_option_has_a_lower_bound() -> None:
    unbounded = [
        (command, flag)
        for command, fn in _commands(app)
        for flag, base, info in _options(fn)
        if int in (base, *typing.get_args(base)) and info.min is None and (command, flag) not in ANY_INT
    ]
    assert unbounded == []


def test_every_option_says_what_it_does() -> None:
    silent = [(command, flag) for command, fn in _commands(app) for flag, _, info in _options(fn) if not info.help]
    assert silent == []


# -- 5. messages that say what is wrong --------------------------------------------------------------------


def test_extract_of_a_missing_file_is_not_found_and_a_strange_name_stays_one_line(tmp_path: Path) -> None:
    result = invoke("extract", str(tmp_path / "nowhere.pdf"))
    assert result.exit_code == 21 and "error [not_found]" in result.stderr
    forged = tmp_path / "evil\nerror [internal] other.pdf: fake\x1b[31mRED.pdf"
    forged.write_bytes(b"not a document")
    result = invoke("extract", str(forged))
    assert result.exit_code == 11
    assert len(result.stderr.strip().splitlines()) == 1 and "\x1b" not in result.stderr


def test_extract_of_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    result = invoke("extract", str(tmp_path))
    assert result.exit_code != 0
    assert "folder" in result.stderr and "no such file" not in result.stderr


@pytest.mark.parametrize(
    ("args", "action"),
    [
        (["model", "promote", "v0001"], "promote models"),
        (["model", "rollback"], "roll back models"),
        (["model", "golden", "add", "1"], "golden set"),
        (["model", "golden", "remove", "1"], "golden set"),
    ],
)
def test_a_clerk_is_told_what_they_may_not_do(home: Path, args: list[str], action: str) -> None:
    line = assert_one_error_line(invoke(*args, "--user", "clerk"), PermissionDeniedError.exit_code)
    assert action in line and "retrain" not in line


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_asks_for_one(home: Path, reason: str) -> None:
    doc = doc_id("A-1")
    assert invoke("claim", str(doc), "--user", "sup").exit_code == 0
    line = assert_one_error_line(
        invoke("approve", str(doc), "--user", "sup", "--override", reason), InvalidValueError.exit_code
    )
    assert "reason" in line
    assert json.loads(invoke("show", str(doc), "--json").stdout)["status"] == "in_review"


def test_reextract_that_fails_exits_non_zero(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    invoke("ingest", str(folder), "--workers", "0")
    failed = json.loads(invoke("queue", "--status", "failed", "--json").stdout)["items"]
    assert len(failed) == 1
    result = invoke("reextract", str(failed[0]["id"]), "--user", "sup")
    assert result.exit_code != 0
    line = assert_one_error_line(result, result.exit_code)
    assert str(failed[0]["id"]) in line


# -- 6. help and comments that tell the truth --------------------------------------------------------------


def test_retrain_help_says_the_golden_set_is_held_out() -> None:
    result = invoke("retrain", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    assert "every approved document" not in text and "golden set" in text


def test_commands_named_in_the_default_policy_exist() -> None:
    """Every ``idp COMMAND --OPTION`` in the comments of resources/routing.toml is a command with that option."""
    comments = "\n".join(
        line for line in (RESOURCES / "routing.toml").read_text(encoding="utf-8").splitlines() if "#" in line
    )
    commands = dict(_commands(app))
    mentioned = re.findall(r"idp ([a-z][a-z-]*(?: [a-z][a-z-]*)?)((?: --[a-z-]+(?: [A-Z]+)?)*)", comments)
    assert mentioned
    for named, options in mentioned:
        command = named if named in commands else named.split()[0]  # "idp policy set", "idp threshold and"
        assert command in commands, f"idp {named}"
        flags = {flag for flag, _, _ in _options(commands[command])}
        for flag in re.findall(r"--[a-z-]+", options):
            assert flag in flags, f"idp {command} {flag}"


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z_]{3,}", text)


@pytest.mark.parametrize("command", [name for name, _ in _commands(app)])
def test_help_shows_every_word_it_was_written_with(command: str) -> None:
    """Rich markup must not eat text: a "[learning]" in a docstring once vanished from ``--help``."""
    fn = dict(_commands(app))[command]
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    shown = set(_words(result.output))
    written = _words(inspect.getdoc(inspect.unwrap(fn)) or "")
    for _, _, info in _options(fn):
        written += _words(info.help or "")
    missing = [w for w in written if w not in shown]
    assert not missing, f"idp {command} --help lost {missing}"


@pytest.mark.parametrize("command", ["", *(name for name, _ in _commands(app))])
def test_help_gives_a_flag_no_value_type(command: str) -> None:
    """A flag takes no value: "--team <bool>" read as if "--team true" were how to give it."""
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output


def test_a_negative_amount_is_a_value_and_an_unknown_option_is_still_refused(home: Path) -> None:
    """A credit note's total is corrected to -119.00 without "--" before it; "--usr" is a typo, not a value."""
    bad = doc_id("A-1")
    assert invoke("claim", str(bad), "--user", "clerk").exit_code == 0
    result = invoke("correct", str(bad), "total_amount", "-119.00", "--user", "clerk")
    assert result.exit_code == 0, result.output
    assert "total_amount = -119.00" in result.stdout
    result = invoke("correct", str(bad), "net_amount", "-1.234,50", "--usr", "clerk")
    assert result.exit_code == 2 and "No such option: --usr" in result.output and "-1.234,50" not in result.output
    result = invoke("correct", str(bad), "amount", "-5", "--row", "0")
    assert result.exit_code == 2 and "'--row'" in result.output  # its value, refused by its range
    result = invoke("correct", str(bad), "amount", "-5", "--row", "-1", "--usr", "clerk")
    assert result.exit_code == 2 and "No such option: --usr" in result.output  # the typo named, not --row's value
    # a name printed with a dash first: the refusal says how to give it, which then works
    result = invoke("correct", str(bad), "vendor_name", "-ACME-", "--user", "clerk")
    hint = " ".join(re.split(r"[\s│]+", result.output))
    assert result.exit_code == 2 and "put -- before it, after every option: ... --user NAME -- -ACME-" in hint
    assert "put --" not in invoke("correct", str(bad), "vendor_name", "x", "--usr", "clerk").output  # a typo
    result = invoke("correct", str(bad), "vendor_name", "--user", "clerk", "--", "-ACME-")
    assert result.exit_code == 0 and "vendor_name = -ACME-" in result.stdout


@pytest.mark.parametrize(
    "args", [["correct", "1", "vendor_name", "M\udcfcller GmbH"], ["queue", "--user", "J\udce9r\udcf4me"]]
)
def test_an_argument_that_is_not_utf8_is_one_error_line(empty_home: Path, args: list[str]) -> None:
    """A terminal set to Latin-1 sends "Müller" as bytes Python cannot encode again: the database raised deep inside
    with a traceback."""
    line = assert_one_error_line(invoke(*args), InputError.exit_code)
    assert "not UTF-8 text" in line and "LANG=C.UTF-8" in line


def test_a_file_whose_own_name_is_not_utf8_is_named_as_such_not_blamed_on_the_terminal(
    empty_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    raw = b"bad\xff\xfename.pdf"
    (tmp_path / os.fsdecode(raw)).write_bytes(b"%PDF-1.4")
    line = assert_one_error_line(invoke("extract", os.fsdecode(raw)), InputError.exit_code)
    assert "the file name" in line and "ingest the folder" in line and "LANG" not in line


def test_a_team_password_with_no_terminal_to_ask_on_is_one_error_naming_idp_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scheduled `idp retrain --if-due --user sup` on PostgreSQL without IDP_PASSWORD: the prompt warned that
    the password may be echoed, then aborted with exit 1."""
    import io
    from types import SimpleNamespace

    from idp_app.cli.workflow import _acting

    checked: list[tuple[str, str]] = []
    team = SimpleNamespace(
        db=SimpleNamespace(is_sqlite=False),
        users=SimpleNamespace(authenticate=lambda user, password: checked.append((user, password)) or user),
    )
    monkeypatch.delenv("IDP_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("typed\n"))
    with pytest.raises(InputError, match="set IDP_PASSWORD"):
        _acting(team, "sup")
    assert checked == []
    monkeypatch.setenv("IDP_PASSWORD", "s3cret")
    assert _acting(team, "sup") == "sup" and checked == [("sup", "s3cret")]
