"""The command line's grammar, one meaning per option everywhere (kubectl's habits):
`-o FORMAT` is a format, `--out PATH` a file or folder to write, `--fail-on WHAT` the exit-1
condition of a CI gate."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# The one vocabulary of -o; each command takes the formats that apply to it.
VOCABULARY = ("text", "table", "json", "yaml", "csv", "md", "dot", "sarif", "junit", "html")


class FormatChoice(click.Choice[str]):
    """A format of the vocabulary. `aliases`: old spellings still accepted (not listed);
    a value that looks like a path gets a pointer to --out."""

    def __init__(self, formats: Sequence[str], aliases: Mapping[str, str] | None = None) -> None:
        super().__init__(list(formats))
        self.aliases = dict(aliases or {})

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value in self.aliases:
            return self.aliases[value]
        if isinstance(value, str) and value not in self.choices and _looks_like_path(value):
            self.fail(
                f"{value!r} is not a format: -o is the output format "
                f"({', '.join(map(str, self.choices))}); write to a file or folder with "
                f"--out {value}",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def _looks_like_path(value: str) -> bool:
    return "/" in value or "." in value or value == "-"


def output_option(
    formats: Sequence[str],
    default: str = "text",
    *,
    aliases: Mapping[str, str] | None = None,
    help: str = "",
) -> Callable[[F], F]:
    """`-o/--output FORMAT`."""
    text = f"Output format. {help}".strip()
    return click.option(
        "-o",
        "--output",
        "output",
        type=FormatChoice(formats, aliases),
        default=default,
        show_default=True,
        help=text,
    )


def out_option(what: str, *, required: bool = False, dir_okay: bool = False) -> Callable[[F], F]:
    """`--out PATH`: where a command writes its file(s)."""
    return click.option(
        "--out",
        "out",
        required=required,
        metavar="DIR" if dir_okay else "FILE",
        type=click.Path(dir_okay=dir_okay, file_okay=not dir_okay, writable=True),
        help=what,
    )


class FailOn(click.ParamType[Any, Any]):
    """`--fail-on A,B` (or repeated): the conditions that make a CI gate exit 1."""

    name = "fail-on"

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def get_metavar(self, param: click.Parameter, *args: Any, **kwargs: Any) -> str:
        return "[" + "|".join(self.choices) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = tuple(p.strip() for p in str(value).split(",") if p.strip())
        for part in parts:
            if part not in self.choices:
                self.fail(
                    f"{part!r} is not one of {', '.join(map(repr, self.choices))}", param, ctx
                )
        return parts


def fail_on_option(
    choices: Sequence[str], help: str, default: str | None = None
) -> Callable[[F], F]:
    """`--fail-on WHAT[,WHAT]` (repeatable): one name for every exit-1 condition."""
    return click.option(
        "--fail-on",
        "fail_on",
        type=FailOn(choices),
        multiple=True,
        default=(default,) if default else (),
        show_default=default is not None,
        help=help,
    )


def flatten(values: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The conditions of a repeated --fail-on, in order, once each."""
    return tuple(dict.fromkeys(v for group in values for v in group))
