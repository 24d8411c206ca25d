"""The simple commands a shell script runs, read with a real bash parser (bashlex).

`parse(script)` reads a shell script (a RUN's shell form, a heredoc body, an `sh -c` argument)
and `parse_argv(argv)` an exec-form command; both return a `Script`: every simple command that
would run, in order, as its argv words (quotes removed) and its leading `NAME=value`
assignments. Commands inside `&&`/`||`/`;`/pipes, subshells, `{ }`, if/for/while/until bodies,
functions and `$(...)`/backticks are included; a command substitution comes before the command
whose words hold it. Wrappers are looked through, so the wrapped command is the one listed
(with the wrapper's assignments): `env [-i] [NAME=value]... cmd`, `exec`, `command`, `nohup`,
`time`, `nice [-n N]`, `sudo [options]`, `timeout [options] DURATION`; so are nested shells:
`sh -c '...'`, `bash -ec "..."` (any option cluster holding `c`), and a shell reading a
heredoc or here-string (`bash <<EOF`), whose script is parsed too. A heredoc that feeds
anything else (`python3 <<EOF`, `cat <<EOF >file`) is data, never parsed.

bashlex rejects some valid bash (`[[ ... ]]`, `case`, `$(( ))`, `time`, arrays): then the
script is cut into top-level statements, bashlex reads those it can, and a conservative
tokenizer reads the rest (words and operators, shell keywords dropped, heredoc bodies kept out).
`Script.reading` says which reading was used, so a check can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator


EXEC_FORM = "exec form"          # an argv, no shell involved
BASHLEX = "bashlex"              # parsed by bashlex
FALLBACK = "fallback tokenizer"  # bashlex rejected (part of) it: the conservative tokenizer read that part
_RANK = {EXEC_FORM: 0, BASHLEX: 1, FALLBACK: 2}

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
# Reserved words the fallback drops at the start of a command (`time` is read as a wrapper instead).
KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "select",
                      "case", "esac", "in", "function", "{", "}", "!"})

Expand = Callable[[str], str]


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]                   # the words, quotes removed; () for a bare `NAME=value`
    assignments: tuple[str, ...] = ()       # leading NAME=value words (a wrapper's and an outer shell's included)
    piped_from: tuple[str, ...] | None = None  # argv of the command piping into this one's stdin
    wrappers: tuple[str, ...] = ()          # what it ran through, outermost first: "env", "sudo", "sh -c"...

    @property
    def name(self) -> str:
        """The command's base name (`/usr/bin/apt-get` -> `apt-get`), "" for a bare assignment."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    @property
    def env(self) -> dict[str, str]:
        return dict(a.partition("=")[::2] for a in self.assignments)


@dataclass(frozen=True)
class Script:
    commands: tuple[Command, ...]
    reading: str = BASHLEX                  # EXEC_FORM, BASHLEX or FALLBACK (the least exact one used)
    rejected: tuple[str, ...] = ()          # what bashlex could not parse, for the FALLBACK reading

    @property
    def fallback(self) -> bool:
        return self.reading == FALLBACK

    def describe(self) -> str:
        """How the commands were read, for a check's message."""
        if self.fallback:
            return f"bashlex could not parse all of it ({self.rejected[0]}), so a conservative tokenizer read that part"
        return "read as an exec-form argv" if self.reading == EXEC_FORM else "read with bashlex"

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)


# --- the public entry points ---------------------------------------------------------------------

def parse(script: str, expand: Expand | None = None) -> Script:
    """The simple commands `script` runs. `expand`, if given, is applied to the text first (the
    variables the shell would find in its environment, e.g. a Dockerfile's ARG/ENV)."""
    reader = _Reader()
    commands = reader.script(script, _Context(expand=expand))
    return Script(tuple(commands), reader.reading, tuple(reader.rejected))


def parse_argv(argv: Iterable[str], expand: Expand | None = None) -> Script:
    """The simple commands an exec-form argv runs (no shell: the words are taken as they are;
    a script handed to a shell, `["sh", "-c", "..."]`, is parsed, after `expand`)."""
    reader = _Reader(EXEC_FORM)
    commands = reader.command(tuple(argv), (), _Context(expand=expand), heredoc=None)
    return Script(tuple(commands), reader.reading, tuple(reader.rejected))


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    """What an enclosing command hands down to the commands of a nested script."""
    assignments: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()
    expand: Expand | None = None   # still to be applied to the (next) script read


@dataclass
class _Reader:
    reading: str = BASHLEX
    rejected: list[str] = field(default_factory=list)

    def _used(self, reading: str) -> None:
        if _RANK[reading] > _RANK[self.reading]:
            self.reading = reading

    # a whole script: bashlex, else statement by statement
    def script(self, text: str, ctx: _Context) -> list[Command]:
        if ctx.expand:
            text, ctx = ctx.expand(text), _Context(ctx.assignments, ctx.wrappers)
        self._used(BASHLEX)
        text = _unquote_heredoc_delimiters(text)
        trees = _bashlex(text)
        if not isinstance(trees, str):
            return self._nodes(trees, ctx)
        commands: list[Command] = []
        for statement, tokens in _statements(text):
            trees = _bashlex(statement)
            if isinstance(trees, str):
                self._used(FALLBACK)
                self.rejected.append(f"{' '.join(statement.split())[:60]!r}: {trees}")
                commands += self._tokens(tokens, ctx)
            else:
                commands += self._nodes(trees, ctx)
        return commands

    # bashlex's tree
    def _nodes(self, nodes: Iterable, ctx: _Context) -> list[Command]:
        commands: list[Command] = []
        for node in nodes:
            commands += self._node(node, ctx)
        return commands

    def _node(self, node, ctx: _Context, piped_from: tuple[str, ...] | None = None) -> list[Command]:
        kind = node.kind
        if kind == "command":
            return self._simple(node, ctx, piped_from)
        if kind == "pipeline":
            commands: list[Command] = []
            previous = None
            for part in node.parts:
                if part.kind in ("pipe", "reservedword"):
                    continue
                found = self._node(part, ctx, previous)
                commands += found
                previous = found[-1].argv if found else None
            return commands
        if kind == "compound":
            return self._nodes([*node.list, *getattr(node, "redirects", [])], ctx)
        if kind in ("list", "if", "for", "while", "until", "function"):
            return self._nodes(node.parts, ctx)
        if kind in ("commandsubstitution", "processsubstitution"):
            return self._node(node.command, ctx)
        if kind in ("word", "assignment", "redirect"):
            return self._substitutions(node, ctx)
        return []  # operators, reserved words, pipes, parameters, heredoc bodies

    def _substitutions(self, node, ctx: _Context) -> list[Command]:
        """The commands of the $(...) / `...` / <(...) inside a word or redirect."""
        commands: list[Command] = []
        for part in [*getattr(node, "parts", []), *filter(None, [getattr(node, "output", None)])]:
            if hasattr(part, "kind") and part.kind != "heredoc":
                commands += self._node(part, ctx)
        return commands

    def _simple(self, node, ctx: _Context, piped_from: tuple[str, ...] | None) -> list[Command]:
        before: list[Command] = []
        assignments: list[str] = []
        words: list[str] = []
        heredoc = None
        for part in node.parts:
            before += self._substitutions(part, ctx)
            if part.kind == "assignment" and not words:
                assignments.append(part.word)
            elif part.kind in ("word", "assignment"):
                words.append(part.word)
            elif part.kind == "redirect" and part.type in ("<<", "<<-") and getattr(part, "heredoc", None):
                heredoc = part.heredoc.value.rsplit("\n", 1)[0] if "\n" in part.heredoc.value else ""
            elif part.kind == "redirect" and part.type == "<<<" and hasattr(part.output, "word"):
                heredoc = part.output.word
        return before + self.command(tuple(words), tuple(assignments), ctx, heredoc, piped_from)

    # one simple command: look through wrappers and nested shells
    def command(self, argv: tuple[str, ...], assignments: tuple[str, ...], ctx: _Context,
                heredoc: str | None, piped_from: tuple[str, ...] | None = None) -> list[Command]:
        assignments = ctx.assignments + assignments
        wrappers = ctx.wrappers
        while argv:
            name = argv[0].rsplit("/", 1)[-1]
            unwrap = _WRAPPERS.get(name)
            inner = unwrap(argv[1:]) if unwrap else None
            if inner is None:
                break
            extra, argv = inner
            assignments, wrappers = assignments + extra, wrappers + (name,)
        nested = _shell_script(argv, heredoc) if argv and argv[0].rsplit("/", 1)[-1] in SHELLS else None
        if nested is not None:
            script, how = nested
            return self.script(script, _Context(assignments, wrappers + (how,), ctx.expand))
        return [Command(argv, assignments, piped_from, wrappers)]

    # the conservative tokenizer's reading of one statement
    def _tokens(self, tokens: list[_Token], ctx: _Context) -> list[Command]:
        commands: list[Command] = []
        previous: tuple[str, ...] | None = None
        for segment in _segments(tokens):
            assignments: list[str] = []
            words: list[str] = []
            for token in segment.words:
                for body in token.substitutions:
                    commands += self.script(body, ctx)
                if not words and _is_assignment(token.value):
                    assignments.append(token.value)
                else:
                    words.append(token.value)
            if segment.runs and (words or assignments):
                found = self.command(tuple(words), tuple(assignments), ctx, segment.heredoc,
                                     previous if segment.piped else None)
                commands += found
                previous = found[-1].argv if found else None
        return commands


def _bashlex(text: str):
    """bashlex's trees for `text`, or why it could not parse it."""
    if "((" in text and any(t.kind == "word" and t.raw.startswith("((") for t in _tokenize(text)):
        return "an arithmetic command (( ... )), which bashlex 0.18 reads as two subshells"
    import bashlex  # here, not at the top: it builds its parser tables on import (0.2 s)

    try:
        return bashlex.parse(text)
    except Exception as exc:  # noqa: BLE001 - bashlex raises ParsingError, NotImplementedError and, on
        return f"{type(exc).__name__}: {exc}"  # some valid input, assorted internal errors: all mean "cannot"


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and not name[0].isdigit()


# --- wrappers: (assignments they add, the wrapped argv), or None when nothing is wrapped ---------

Unwrapped = tuple[tuple[str, ...], tuple[str, ...]] | None  # (the assignments it adds, the wrapped argv)


def _options(args: tuple[str, ...], with_value: frozenset[str], long_with_value: frozenset[str] = frozenset(),
             stop_at_number: bool = False) -> int:
    """How many leading words of `args` are options (and their values)."""
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return i + 1
        if not word.startswith("-") or word == "-" or (stop_at_number and word[1:].isdigit()):
            return i
        if word.startswith("--"):
            i += 2 if word in long_with_value else 1
            continue
        # a short cluster: a letter taking a value takes the rest of the word, or the next word
        letters = word[1:]
        for n, letter in enumerate(letters):
            if letter in with_value:
                i += 1 if n + 1 < len(letters) else 2
                break
        else:
            i += 1
    return i


def _env(args: tuple[str, ...]) -> Unwrapped:
    i = _options(args, frozenset("uCS"), frozenset({"--unset", "--chdir", "--split-string"}))
    if i < len(args) and args[i] == "-":
        i += 1  # `env -` is `env -i`
    if any(a == "-S" or a.startswith(("-S", "--split-string")) for a in args[:i]):
        return None  # `env -S "..."` re-splits a string: not followed
    return _assignments_then_command(args, i)


def _sudo(args: tuple[str, ...]) -> Unwrapped:
    return _assignments_then_command(args, _options(
        args, frozenset("ugCDhprtTU"), frozenset({"--user", "--group", "--close-from", "--chdir", "--host", "--prompt",
                                                  "--role", "--type", "--command-timeout", "--other-user"})))


def _assignments_then_command(args: tuple[str, ...], i: int) -> Unwrapped:
    """From `args[i]`: NAME=value words (env's, sudo's), then the command they run, if any."""
    start = i
    while i < len(args) and _is_assignment(args[i]):
        i += 1
    return (args[start:i], args[i:]) if i < len(args) else None


def _simple_wrapper(with_value: str = "", long_with_value: frozenset[str] = frozenset(), operands: int = 0,
                    stop_at_number: bool = False, queries: frozenset[str] = frozenset()):
    def unwrap(args: tuple[str, ...]) -> Unwrapped:
        if queries.intersection(args[:1]):
            return None  # `command -v x` looks x up, it does not run it
        i = _options(args, frozenset(with_value), long_with_value, stop_at_number) + operands
        if stop_at_number and i < len(args) and args[i][:1] == "-" and args[i][1:].isdigit():
            i += 1  # nice -10 cmd
        return ((), args[i:]) if i < len(args) else None
    return unwrap


_WRAPPERS = {
    "env": _env,
    "sudo": _sudo,
    "exec": _simple_wrapper("a"),
    "command": _simple_wrapper(queries=frozenset({"-v", "-V"})),
    "nohup": _simple_wrapper(),
    "time": _simple_wrapper("fo", frozenset({"--format", "--output"})),
    "nice": _simple_wrapper("n", frozenset({"--adjustment"}), stop_at_number=True),
    "timeout": _simple_wrapper("ks", frozenset({"--kill-after", "--signal"}), operands=1),
}


def _shell_script(argv: tuple[str, ...], heredoc: str | None) -> tuple[str, str] | None:
    """The script a shell invocation runs, when it is in its words (`-c`, any option cluster
    holding c) or on its stdin as a heredoc/here-string; with how it was handed over."""
    i, has_c, reads_stdin = 1, False, False
    while i < len(argv):
        word = argv[i]
        if word in ("--", "-"):
            i += 1
            break
        if word in ("--rcfile", "--init-file"):
            i += 2
        elif word.startswith("--"):
            i += 1
        elif word[:1] in ("-", "+") and len(word) > 1:
            letters = word[1:]
            if word[0] == "-":
                has_c |= "c" in letters
                reads_stdin |= "s" in letters
            i += 1 + letters.count("o") + letters.count("O")  # -o pipefail, -eo pipefail
        else:
            break
    name, operands = argv[0].rsplit("/", 1)[-1], argv[i:]
    if has_c:
        return (operands[0], f"{name} -c") if operands else None
    if heredoc is not None and (not operands or reads_stdin):
        return heredoc, f"{name} <<"
    return None


# --- the conservative tokenizer -------------------------------------------------------------------

@dataclass
class _Token:
    kind: str          # "word" or "op" (a newline is an op)
    raw: str
    value: str         # quotes removed
    start: int
    end: int           # for a newline: past the heredoc bodies it starts
    substitutions: tuple[str, ...] = ()  # bodies of $(...) and `...` in a word
    heredoc: str | None = None           # for a << / <<- operator: its body
    quoted: bool = False                 # a word with quotes in it is never a keyword


_OPERATORS = ("<<<", "<<-", "&>>", "&&", "||", ";;", ";&", "|&", "<<", ">>", "&>", ">&", "<&", ">|", "<>",
              "|", "&", ";", "<", ">", "(", ")")
_REDIRECTS = frozenset({"<<<", "<<-", "&>>", "<<", ">>", "&>", ">&", "<&", ">|", "<>", "<", ">"})
_STARTERS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "{", "!"})  # a command follows


def _closing(text: str, i: int, opening: str, closing: str) -> int:
    """The index just past the `closing` that matches an `opening` consumed just before `i`,
    skipping quoted text and nested pairs; the end of the text when there is none."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "'" and opening != '"':
            end = text.find("'", i + 1)
            i = len(text) if end < 0 else end + 1
        elif c == closing:
            depth -= 1
            i += 1
            if depth == 0:
                return i
        elif c == '"':
            i = _closing(text, i + 1, '"', '"')
        elif text.startswith("$(", i):
            i = _closing(text, i + 2, "(", ")")
        elif c == "`" and opening != "`":
            i = _closing(text, i + 1, "`", "`")
        else:
            depth += c == opening and opening != closing
            i += 1
    return len(text)


def _word(text: str, i: int) -> tuple[_Token, int]:
    """One word from `i`: its raw text, its value with quotes removed, the command substitutions in it."""
    start, value, substitutions, quoted = i, [], [], False
    while i < len(text):
        c = text[i]
        if c == "(" and "".join(value).endswith("=") and _is_assignment("".join(value)):
            end = _closing(text, i + 1, "(", ")")  # an array: a=(1 2)
            value.append(text[i:end])
            i = end
            continue
        if c in " \t\r\n" or c in "|&;<>()":
            break
        if c == "\\":
            value.append(text[i + 1:i + 2] if text[i + 1:i + 2] != "\n" else "")
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            end = len(text) if end < 0 else end + 1
            value.append(text[i + 1:end - 1])
            i, quoted = end, True
        elif c == '"':
            end = _closing(text, i + 1, '"', '"')
            inner = text[i + 1:end - 1] if end - 1 > i and text[end - 1] == '"' else text[i + 1:end]
            substitutions += _substitutions_in(inner)
            value.append(_unescape_double(inner))
            i, quoted = end, True
        elif text.startswith("$((", i):
            end = _closing(text, i + 3, "(", ")")
            end += text[end:end + 1] == ")"
            value.append(text[i:end])
            i = end
        elif text.startswith("$(", i) or c == "`":
            end = _closing(text, i + 2, "(", ")") if c == "$" else _closing(text, i + 1, "`", "`")
            substitutions.append(text[i + 2:end - 1] if c == "$" else text[i + 1:end - 1])
            value.append(text[i:end])
            i = end
        elif text.startswith("${", i):
            end = _closing(text, i + 2, "{", "}")
            value.append(text[i:end])
            i = end
        else:
            value.append(c)
            i += 1
    return _Token("word", text[start:i], "".join(value), start, i, tuple(substitutions), quoted=quoted), i


def _substitutions_in(inner: str) -> list[str]:
    """The $(...) and `...` bodies inside a double-quoted string."""
    found, i = [], 0
    while i < len(inner):
        if inner.startswith("$((", i):
            i = _closing(inner, i + 3, "(", ")")
        elif inner.startswith("$(", i) or inner[i] == "`":
            end = _closing(inner, i + 2, "(", ")") if inner[i] == "$" else _closing(inner, i + 1, "`", "`")
            found.append(inner[i + 2:end - 1] if inner[i] == "$" else inner[i + 1:end - 1])
            i = end
        else:
            i += 2 if inner[i] == "\\" else 1
    return found


def _unescape_double(inner: str) -> str:
    out, i = [], 0
    while i < len(inner):
        if inner[i] == "\\" and inner[i + 1:i + 2] in ('"', "\\", "$", "`", "\n"):
            out.append("" if inner[i + 1] == "\n" else inner[i + 1])
            i += 2
        else:
            out.append(inner[i])
            i += 1
    return "".join(out)


def _heredoc_body(text: str, i: int, delimiter: str, strip_tabs: bool) -> tuple[str, int]:
    """The heredoc body starting at `i` and the index past its delimiter line."""
    lines = []
    while i < len(text):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        line, i = text[i:end], end + 1
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            break
        lines.append(line)
    return "".join(f"{line}\n" for line in lines), min(i, len(text))


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pending: list[tuple[_Token, str, bool]] = []  # heredoc operators waiting for the next line
    i = 0
    while i < len(text):
        c = text[i]
        if c in " \t\r":
            i += 1
        elif text.startswith("\\\n", i):
            i += 2
        elif c == "\n":
            newline = _Token("op", "\n", "\n", i, i + 1)
            i += 1
            for op, delimiter, strip_tabs in pending:
                op.heredoc, i = _heredoc_body(text, i, delimiter, strip_tabs)
            pending, newline.end = [], max(i, newline.end)
            tokens.append(newline)
        elif c == "#":  # a word never stops at #, so this one starts a comment
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("((", i) and (not tokens or tokens[-1].kind == "op" or tokens[-1].raw == "for"):
            end = _closing(text, i + 2, "(", ")")
            end += text[end:end + 1] == ")"
            tokens.append(_Token("word", text[i:end], text[i:end], i, end))  # (( arithmetic ))
            i = end
        elif c in "|&;<>()":
            op = next(o for o in _OPERATORS if text.startswith(o, i))
            tokens.append(_Token("op", op, op, i, i + len(op)))
            i += len(op)
            if op in ("<<", "<<-"):
                while i < len(text) and text[i] in " \t":
                    i += 1
                delimiter, i = _word(text, i)
                pending.append((tokens[-1], delimiter.value, op == "<<-"))
                tokens.append(delimiter)
        else:
            token, i = _word(text, i)
            tokens.append(token)
    for op, _delimiter, _strip in pending:  # the text ended before the body
        op.heredoc = ""
    return tokens


def _unquote_heredoc_delimiters(text: str) -> str:
    r"""`<<'EOF'`, `<<"EOF"` and `<<\EOF` written `<<EOF`: bashlex 0.18 takes the quoted word as
    the terminator. (Quoting only turns off expansion in the body, which is not parsed here.)"""
    if "<<" not in text:
        return text
    tokens = _tokenize(text)
    out, last = [], 0
    for op, word in zip(tokens, tokens[1:]):
        if op.kind == "op" and op.raw in ("<<", "<<-") and word.kind == "word" and word.raw != word.value:
            out += [text[last:word.start], word.value]
            last = word.end
    return "".join(out) + text[last:]


def _statements(text: str) -> list[tuple[str, list[_Token]]]:
    """Top-level statements, cut at `;`, `&` and newlines outside compound commands and
    subshells, each with its text (heredoc bodies included) and tokens."""
    statements: list[tuple[str, list[_Token]]] = []
    current: list[_Token] = []
    depth = parens = 0
    at_start = True
    for token in _tokenize(text):
        current.append(token)
        if token.kind == "word":
            keyword = at_start and not token.quoted
            if keyword and token.value in ("if", "case", "for", "while", "until", "select", "{"):
                depth += 1
            elif keyword and token.value in ("fi", "esac", "done", "}"):
                depth = max(0, depth - 1)
            at_start = keyword and token.value in _STARTERS
            continue
        parens = max(0, parens + (token.raw == "(") - (token.raw == ")"))
        at_start = token.raw not in _REDIRECTS
        if token.raw in (";", "&", "\n") and depth == 0 and parens == 0:
            statements.append((text[current[0].start:token.end], current))
            current = []
    if current:
        statements.append((text[current[0].start:current[-1].end], current))
    return [(s, t) for s, t in statements if any(tok.kind == "word" for tok in t)]


@dataclass
class _Segment:
    words: list[_Token] = field(default_factory=list)
    heredoc: str | None = None   # what feeds its stdin: a heredoc body or here-string
    piped: bool = False          # its stdin is the previous command's output
    runs: bool = True            # False for a for/select/case header: only its $(...) run


def _segments(tokens: list[_Token]) -> Iterator[_Segment]:
    """A statement's simple commands, the conservative way: the words between separators, with
    redirections and their targets, shell keywords, for/select/case headers, case patterns and
    function names left out; `[[ ... ]]` kept whole (a test command)."""
    segment = _Segment()
    state = "command"   # or "case-header" (up to `in`), "pattern" (up to `)`), "test" (up to `]]`)
    skip = 0            # words still to drop: a redirection's target, a function's name
    case_depth = 0
    for n, token in enumerate(tokens):
        word = token.kind == "word"
        if state == "case-header":
            segment.words.append(token) if word else None
            if word and token.value == "in" and not token.quoted:
                segment.runs = False
                yield segment
                segment, state = _Segment(), "pattern"
            continue
        if state == "pattern":
            if word and token.value == "esac" and not token.quoted:
                case_depth, state = case_depth - 1, "command"
            elif token.raw == ")":
                state = "command"
            continue
        if state == "test":
            if word:
                segment.words.append(token)
                state = "command" if token.value == "]]" else "test"
            continue
        if word:
            if skip:
                skip -= 1
                continue
            if not segment.words and not token.quoted:
                if token.value == "case":
                    case_depth, state = case_depth + 1, "case-header"
                    continue
                if token.value == "esac":
                    case_depth -= 1
                    continue
                if token.value in ("for", "select"):
                    segment.runs = False
                if token.value == "function":
                    skip = 1
                if token.value in KEYWORDS or token.value.startswith("(("):
                    continue
                state = "test" if token.value == "[[" else state
            segment.words.append(token)
            continue
        if token.raw in _REDIRECTS:
            last = segment.words[-1] if segment.words else None
            if last is not None and last.raw.isdigit() and last.end == token.start:
                segment.words.pop()  # the fd number of 2>&1
            if token.raw in ("<<", "<<-"):
                segment.heredoc = token.heredoc or ""
            elif token.raw == "<<<" and n + 1 < len(tokens):
                segment.heredoc = tokens[n + 1].value
            skip = 1
            continue
        if token.raw == "(" and n + 1 < len(tokens) and tokens[n + 1].raw == ")":
            segment = _Segment()  # `name() {`: a function definition, not a command
            continue
        if segment.words:
            yield segment
        segment = _Segment(piped=token.raw in ("|", "|&"))
        if token.raw in (";;", ";&") and case_depth > 0:
            state = "pattern"
    if segment.words:
        yield segment
