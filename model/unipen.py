"""UNIPEN text, read: the pen trajectories of pendigits and UJI Pen Characters.

UNIPEN (Guyon et al., 1994) is plain text made of keyword lines, each starting
with a dot, and the pen's coordinates, one "x y" point a line:

- a header of keywords (``.VERSION``, ``.X_DIM 500``, ``.Y_DIM 500``, ...);
- ``.PEN_DOWN``, then the points of one component (one stroke), then ``.PEN_UP``.
  Points after ``.PEN_UP`` (pen-up movement) are not ink and are skipped;
- ``.SEGMENT LEVEL DELINEATION QUALITY "LABEL"`` names what some components are,
  e.g. ``.SEGMENT DIGIT 10-11 ? "4"``: components 10 and 11 (counted from 0 at
  the start of the file, or at the last ``.START_SET``) are a 4;
- ``.COMMENT`` lines. A comment of integers next to a ``.SEGMENT`` line says more
  about that sample (pendigits: its class, its writer, ...): the one right after
  the segment line (before its first stroke) or, failing that, the one between
  the previous sample's strokes and the segment line, so either order is read.

Both data sets write each ``.SEGMENT`` line just before its components, so a
segment's strokes are the components drawn between it and the next segment;
when a file lists its segments elsewhere, the delineation's numbers are used
instead. Lines may end in CRLF, blank lines and unknown keywords are skipped:
what matters is read, and the data sets' SHA-256 decides whether it was read
right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from model.mnist import DataError

Point = tuple[int, int]
Stroke = tuple[Point, ...]

_QUOTED = re.compile(r'"([^"]*)"')
_COMPONENTS = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass(frozen=True)
class Segment:
    """One labelled piece of writing: its level (DIGIT, CHARACTER...), label, strokes, comment."""

    level: str
    label: str
    strokes: tuple[Stroke, ...]
    comment: tuple[int, ...]  # the integers of the .COMMENT line after it; () without one


@dataclass
class Recording:
    """A UNIPEN file: its header keywords (first value of each) and its segments in file order."""

    keywords: dict[str, str]
    segments: list[Segment]


@dataclass
class _Declared:
    level: str
    label: str
    delineation: str
    first_component: int  # components drawn before this .SEGMENT line
    numbering_base: int  # components drawn before the last .START_SET
    before: tuple[int, ...] | None  # the comment of integers just before the segment line
    after: tuple[int, ...] | None = None  # the one just after it

    @property
    def comment(self) -> tuple[int, ...]:
        return self.after or self.before or ()


@dataclass
class _Reader:
    name: str
    keywords: dict[str, str] = field(default_factory=dict)
    components: list[list[Point]] = field(default_factory=list)
    declared: list[_Declared] = field(default_factory=list)
    pen_down: bool = False
    loose_comment: tuple[int, ...] | None = None  # since the last stroke or segment line
    strokes_since_segment: bool = True
    numbering_base: int = 0

    def keyword(self, word: str, rest: str) -> None:
        if word == ".PEN_DOWN":
            self.components.append([])
            self.pen_down = True
            self.loose_comment, self.strokes_since_segment = None, True
        elif word == ".PEN_UP":
            self.pen_down = False
        elif word == ".SEGMENT":
            self.pen_down = False
            self.declared.append(self._segment(rest))
            self.loose_comment, self.strokes_since_segment = None, False
        elif word == ".COMMENT":
            self._comment(rest)
        elif word == ".START_SET":
            self.numbering_base = len(self.components)
        else:
            self.keywords.setdefault(word, rest)

    def point(self, line: str, number: int) -> None:
        if not self.pen_down:
            return  # pen-up movement or a keyword's continuation: no ink
        fields = line.split()
        try:
            x, y = int(fields[0]), int(fields[1])
        except (ValueError, IndexError):
            raise DataError(
                f"{self.name}, line {number}: {line[:60]!r} is not a point; "
                "after .PEN_DOWN each line holds two integers, x and y"
            ) from None
        self.components[-1].append((x, y))

    def _segment(self, rest: str) -> _Declared:
        fields = rest.split()
        quoted = _QUOTED.findall(rest)
        label = quoted[-1] if quoted else (fields[-1] if len(fields) > 1 else "")
        return _Declared(
            level=fields[0] if fields else "",
            label=label,
            delineation=fields[1] if len(fields) > 1 else "?",
            first_component=len(self.components),
            numbering_base=self.numbering_base,
            before=self.loose_comment,
        )

    def _comment(self, rest: str) -> None:
        try:
            numbers = tuple(int(word) for word in rest.split())
        except ValueError:
            return  # free text
        latest = self.declared[-1] if self.declared else None
        if latest and not self.strokes_since_segment and latest.after is None:
            latest.after = numbers
        else:
            self.loose_comment = numbers


def read_unipen(data: bytes, name: str) -> Recording:
    """The segments of a UNIPEN file; a point that does not parse is a ``DataError``."""
    reader = _Reader(name)
    for number, raw in enumerate(data.decode("latin-1").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("."):
            word, _, rest = line.partition(" ")
            reader.keyword(word, rest.strip())
        else:
            reader.point(line, number)
    strokes = [tuple(component) for component in reader.components]
    owned = _strokes_that_follow(reader.declared, strokes) or [
        _delineated(declared, strokes, name) for declared in reader.declared
    ]
    segments = [
        Segment(declared.level, declared.label, own, declared.comment)
        for declared, own in zip(reader.declared, owned, strict=True)
    ]
    return Recording(reader.keywords, segments)


def _strokes_that_follow(
    declared: list[_Declared], strokes: list[Stroke]
) -> list[tuple[Stroke, ...]] | None:
    """Each segment's strokes as those drawn up to the next segment; None if one has none."""
    ends = [d.first_component for d in declared[1:]] + [len(strokes)]
    owned = [tuple(strokes[d.first_component : end]) for d, end in zip(declared, ends, strict=True)]
    return owned if all(owned) else None


def _delineated(declared: _Declared, strokes: list[Stroke], name: str) -> tuple[Stroke, ...]:
    """The strokes a delineation such as ``4``, ``10-11`` or ``3,5-6`` numbers."""
    owned: list[Stroke] = []
    for part in declared.delineation.split(","):
        match = _COMPONENTS.match(part)
        if not match:
            raise DataError(
                f"{name}: segment {declared.label!r} has no strokes after it and its "
                f"delineation {declared.delineation!r} is not component numbers such as 10-11"
            )
        first = int(match.group(1))
        last = int(match.group(2) or first)
        base = declared.numbering_base
        if not 0 <= base + first <= base + last < len(strokes):
            raise DataError(
                f"{name}: segment {declared.label!r} names components {part}, "
                f"but the file draws {len(strokes)}"
            )
        owned += strokes[base + first : base + last + 1]
    return tuple(owned)
