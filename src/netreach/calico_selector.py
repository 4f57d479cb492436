"""Calico's selector language: the parser and the expression tree.

Grammar and tokens as libcalico-go's selector parser reads them (lib/selector/tokenizer and
parser): `k == "v"`, `k != "v"` (also true when `k` is absent), `k in {"a", "b"}`,
`k not in {...}` (also `notin`; true when absent), `has(k)`, `!expr`, `expr && expr`,
`expr || expr` (`&&` binds tighter), parentheses, `all()`, `global()` (namespace selectors of
rules only), and the string operators `k contains "s"`, `k starts with "s"`,
`k ends with "s"`. Strings are quoted with `"` or `'`, without escapes; labels are made of
`[A-Za-z0-9_./-]`, at most 512 characters; blanks are spaces and tabs. The empty selector is
`all()`.

An expression matches a label map, and evaluates to a bitset of pod classes over an index
(`LabelIndexLike`): equality and set tests are lookups, string operators scan the values a key
takes. `reads()` tells the class computation which keys an expression tests and which values
it names (None: every value matters, for the string operators).

Keys are kept as written, except that a `key_map` given to `parse` may rename them (the
loader maps Calico's own labels, `projectcalico.org/namespace`, `pcns.*`, `pcsa.*`, onto the
engine's virtual labels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

MAX_LABEL = 512


class LabelIndexLike(Protocol):
    """What an expression needs to evaluate itself to a bitset (engine/selectors.LabelIndex)."""

    @property
    def all(self) -> int: ...

    def pair(self, key: str, value: str) -> int: ...

    def key(self, key: str) -> int: ...

    def values(self, key: str) -> Iterable[str]: ...


class SelectorError(ValueError):
    """A selector Calico's parser refuses; the message is the parser's."""


# --- the expression tree ------------------------------------------------------------------


class Expr:
    """A node of a selector expression: immutable and hashable (the engine caches by it)."""

    __slots__ = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def evaluate(self, index: LabelIndexLike) -> int:
        raise NotImplementedError

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        return iter(())

    @property
    def is_empty(self) -> bool:
        """Whether it matches every label map (the engine skips such selectors)."""
        return False

    @property
    def is_global(self) -> bool:
        return False


def _quote(value: str) -> str:
    return f'"{value}"' if '"' not in value else f"'{value}'"


@dataclass(frozen=True, slots=True)
class All(Expr):
    def matches(self, labels: Mapping[str, str]) -> bool:
        return True

    def evaluate(self, index: LabelIndexLike) -> int:
        return index.all

    @property
    def is_empty(self) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True, slots=True)
class Global(Expr):
    """`global()`: endpoints outside any namespace (GlobalNetworkSets, host endpoints); never a
    pod. Only valid as a rule's whole namespaceSelector (the loader checks)."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        return False

    def evaluate(self, index: LabelIndexLike) -> int:
        return 0

    @property
    def is_global(self) -> bool:
        return True

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True, slots=True)
class Eq(Expr):
    key: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) == self.value

    def evaluate(self, index: LabelIndexLike) -> int:
        return index.pair(self.key, self.value)

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        yield self.key, (self.value,)

    def __str__(self) -> str:
        return f"{self.key} == {_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Ne(Expr):
    """`k != "v"`: true when the key is absent too."""

    key: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) != self.value

    def evaluate(self, index: LabelIndexLike) -> int:
        return index.all & ~index.pair(self.key, self.value)

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        yield self.key, (self.value,)

    def __str__(self) -> str:
        return f"{self.key} != {_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class In(Expr):
    key: str
    values: tuple[str, ...]  # sorted, distinct
    negated: bool = False  # `not in`: true when the key is absent too

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.key)
        inside = got is not None and got in self.values
        return not inside if self.negated else inside

    def evaluate(self, index: LabelIndexLike) -> int:
        hit = 0
        for v in self.values:
            hit |= index.pair(self.key, v)
        return index.all & ~hit if self.negated else hit

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        yield self.key, self.values

    def __str__(self) -> str:
        op = "not in" if self.negated else "in"
        return f"{self.key} {op} {{{', '.join(_quote(v) for v in self.values)}}}"


@dataclass(frozen=True, slots=True)
class Has(Expr):
    key: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.key in labels

    def evaluate(self, index: LabelIndexLike) -> int:
        return index.key(self.key)

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        yield self.key, ()

    def __str__(self) -> str:
        return f"has({self.key})"


_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda value, arg: arg in value,
    "starts with": lambda value, arg: value.startswith(arg),
    "ends with": lambda value, arg: value.endswith(arg),
}


@dataclass(frozen=True, slots=True)
class StringOp(Expr):
    """`contains`, `starts with`, `ends with`: false when the key is absent. Every value of
    the key matters, so the class computation keeps them all (reads -> None)."""

    key: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.key)
        return got is not None and _STRING_OPS[self.op](got, self.value)

    def evaluate(self, index: LabelIndexLike) -> int:
        test = _STRING_OPS[self.op]
        out = 0
        for v in index.values(self.key):
            if test(v, self.value):
                out |= index.pair(self.key, v)
        return out

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        yield self.key, None

    def __str__(self) -> str:
        return f"{self.key} {self.op} {_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Not(Expr):
    inner: Expr

    def matches(self, labels: Mapping[str, str]) -> bool:
        return not self.inner.matches(labels)

    def evaluate(self, index: LabelIndexLike) -> int:
        return index.all & ~self.inner.evaluate(index)

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        return self.inner.reads()

    def __str__(self) -> str:
        return f"!{_wrap(self.inner)}"


@dataclass(frozen=True, slots=True)
class And(Expr):
    parts: tuple[Expr, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(p.matches(labels) for p in self.parts)

    def evaluate(self, index: LabelIndexLike) -> int:
        bits = index.all
        for p in self.parts:
            if not bits:
                break
            bits &= p.evaluate(index)
        return bits

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        for p in self.parts:
            yield from p.reads()

    @property
    def is_empty(self) -> bool:
        return all(p.is_empty for p in self.parts)

    def __str__(self) -> str:
        return " && ".join(_wrap(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class Or(Expr):
    parts: tuple[Expr, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return any(p.matches(labels) for p in self.parts)

    def evaluate(self, index: LabelIndexLike) -> int:
        bits = 0
        for p in self.parts:
            bits |= p.evaluate(index)
        return bits

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        for p in self.parts:
            yield from p.reads()

    @property
    def is_empty(self) -> bool:
        return any(p.is_empty for p in self.parts)

    def __str__(self) -> str:
        return " || ".join(_wrap(p) for p in self.parts)


def _wrap(e: Expr) -> str:
    return f"({e})" if isinstance(e, And | Or) else str(e)


def conjunction(parts: Iterable[Expr]) -> Expr:
    """The AND of `parts`, dropping `all()` terms (`all()` when nothing is left)."""
    kept = tuple(p for p in parts if not isinstance(p, All))
    if not kept:
        return All()
    return kept[0] if len(kept) == 1 else And(kept)


# --- the tokenizer ------------------------------------------------------------------------

_IDENT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # label, string, {, }, ",", ==, !=, in, notin, not, contains, starts with,
    # ends with, all, global, has, (, ), &&, ||, eof
    value: str = ""


def _ident(text: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] in _IDENT:
        j += 1
    ident = text[i:j]
    if not ident:
        raise SelectorError("expected identifier")
    if len(ident) > MAX_LABEL:
        raise SelectorError(f"label too long: {ident}")
    return ident, j


def _blank(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _word(text: str, i: int, *words: str) -> int | None:
    """Index after `words` (blanks between them) at i, followed by a word boundary."""
    j = i
    for n, w in enumerate(words):
        if not text.startswith(w, j):
            return None
        j += len(w)
        if n + 1 < len(words):
            j = _blank(text, j)
    if j < len(text) and text[j] in _IDENT:
        return None
    return j


def _call(text: str, i: int, name: str) -> int | None:
    """Index after `name(` ... `)` for an argument-less call, or None."""
    if not text.startswith(name + "(", i):
        return None
    j = _blank(text, i + len(name) + 1)
    if j < len(text) and text[j] == ")":
        return j + 1
    raise SelectorError(f"no closing ')' after {name}(")


def tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while True:
        i = _blank(text, i)
        if i >= len(text):
            toks.append(_Tok("eof"))
            return toks
        c = text[i]
        last = toks[-1].kind if toks else ""
        if c in "(){},":
            toks.append(_Tok(c))
            i += 1
        elif c in "\"'":
            close = text.find(c, i + 1)
            if close < 0:
                raise SelectorError("unterminated string")
            toks.append(_Tok("string", text[i + 1 : close]))
            i = close + 1
        elif c == "=":
            if not text.startswith("==", i):
                raise SelectorError("expected ==")
            toks.append(_Tok("=="))
            i += 2
        elif c == "!":
            if text.startswith("!=", i):
                toks.append(_Tok("!="))
                i += 2
            else:
                toks.append(_Tok("not"))
                i += 1
        elif c == "&":
            if not text.startswith("&&", i):
                raise SelectorError("expected &&")
            toks.append(_Tok("&&"))
            i += 2
        elif c == "|":
            if not text.startswith("||", i):
                raise SelectorError("expected ||")
            toks.append(_Tok("||"))
            i += 2
        elif last == "label":
            for kind, words in (
                ("contains", ("contains",)),
                ("starts with", ("starts", "with")),
                ("ends with", ("ends", "with")),
                ("notin", ("not", "in")),
                ("in", ("in",)),
            ):
                after = _word(text, i, *words)
                if after is not None:
                    toks.append(_Tok(kind))
                    i = after
                    break
            else:
                raise SelectorError(f'expected operator after label "{toks[-1].value}"')
        elif text.startswith("has(", i):
            k = _blank(text, i + 4)
            ident, k = _ident(text, k)
            k = _blank(text, k)
            if k >= len(text) or text[k] != ")":
                raise SelectorError("no closing ')' after has(")
            toks.append(_Tok("has", ident))
            i = k + 1
        elif (end := _call(text, i, "all")) is not None:
            toks.append(_Tok("all"))
            i = end
        elif (end := _call(text, i, "global")) is not None:
            toks.append(_Tok("global"))
            i = end
        else:
            ident, i = _ident(text, i)
            toks.append(_Tok("label", ident))


# --- the parser ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok], key_map: Callable[[str], str]) -> None:
        self.toks = toks
        self.i = 0
        self.key_map = key_map

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def or_expr(self) -> Expr:
        parts = [self.and_expr()]
        while self.peek().kind == "||":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Expr:
        parts = [self.operation()]
        while self.peek().kind == "&&":
            self.take()
            parts.append(self.operation())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def operation(self) -> Expr:
        negated = False
        while self.peek().kind == "not":
            self.take()
            negated = not negated
        tok = self.take()
        node: Expr
        if tok.kind == "has":
            node = Has(self.key_map(tok.value))
        elif tok.kind == "all":
            node = All()
        elif tok.kind == "global":
            node = Global()
        elif tok.kind == "label":
            node = self.comparison(self.key_map(tok.value))
        elif tok.kind == "(":
            node = self.or_expr()
            if self.take().kind != ")":
                raise SelectorError("expected )")
        elif tok.kind == "eof":
            raise SelectorError("unexpected end of string looking for op")
        else:
            raise SelectorError(f"unexpected token: {_describe(tok)}")
        return Not(node) if negated else node

    def comparison(self, key: str) -> Expr:
        op = self.take()
        if op.kind in ("==", "!=", "contains", "starts with", "ends with"):
            lit = self.take()
            if lit.kind != "string":
                raise SelectorError("expected string")
            if op.kind == "==":
                return Eq(key, lit.value)
            if op.kind == "!=":
                return Ne(key, lit.value)
            return StringOp(key, op.kind, lit.value)
        if op.kind in ("in", "notin"):
            if self.take().kind != "{":
                raise SelectorError("expected set literal")
            values: set[str] = set()
            while self.peek().kind == "string":
                values.add(self.take().value)
                if self.peek().kind == ",":
                    self.take()
                else:
                    break
            if self.take().kind != "}":
                raise SelectorError("expected }")
            return In(key, tuple(sorted(values)), op.kind == "notin")
        if op.kind == "eof":
            raise SelectorError("unexpected end of string looking for op")
        raise SelectorError(f"expected == or != not: {_describe(op)}")


def _describe(tok: _Tok) -> str:
    return f"{tok.kind}({tok.value})" if tok.value else tok.kind


def parse(text: str, key_map: Callable[[str], str] | None = None) -> Expr:
    """The expression `text` denotes; raises SelectorError as Calico's parser would."""
    toks = tokenize(text)
    if toks[0].kind == "eof":
        return All()
    parser = _Parser(toks, key_map or (lambda k: k))
    node = parser.or_expr()
    if parser.peek().kind != "eof":
        rest = " ".join(_describe(t) for t in parser.toks[parser.i :])
        raise SelectorError(f"unexpected content at end of selector [{rest}]")
    return node


def mentions_global(node: Expr) -> bool:
    """Whether `global()` appears anywhere in the expression."""
    if isinstance(node, Global):
        return True
    if isinstance(node, Not):
        return mentions_global(node.inner)
    if isinstance(node, And | Or):
        return any(mentions_global(p) for p in node.parts)
    return False
