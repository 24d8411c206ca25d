"""The practice catalogue: reads practices.toml, the one description of every practice."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("practices.toml")
LEVELS = ("required", "recommended")


@dataclass(frozen=True)
class Practice:
    id: str
    stage: int
    level: str
    title: str
    why: str
    fix: str
    section: str
    points: int
    limits: dict = field(default_factory=dict)   # the numbers its pass condition names
    more: str = ""        # the second-level hint: the concept and where to read about it (never the answer)

    @property
    def required(self) -> bool:
        return self.level == "required"


@dataclass(frozen=True)
class Stage:
    number: int
    title: str
    question: str
    notebook: str
    minutes: int          # its notebook's share of the course plan (read from the agenda)


@dataclass(frozen=True)
class AgendaItem:
    """One item of the course plan: a notebook, or the trainer's (an opening, a buffer, a closing)."""

    day: int
    minutes: int
    notebook: str | None = None
    title: str = ""
    buffer: bool = False  # time kept free for what a live room needs (set-up trouble, catching up)


@dataclass(frozen=True)
class Course:
    minutes: int          # the whole plan
    days: tuple[int, ...]  # the minutes of each teaching day
    setup_notebook: str
    setup_title: str
    agenda: tuple[AgendaItem, ...]

    def minutes_of(self, notebook: str) -> int:
        """A notebook's minutes in the agenda."""
        for item in self.agenda:
            if item.notebook == notebook:
                return item.minutes
        raise KeyError(f"{notebook} is not in the agenda of {CATALOGUE_FILE.name}")

    @property
    def setup_minutes(self) -> int:
        return self.minutes_of(self.setup_notebook)


@dataclass(frozen=True)
class Catalogue:
    course: Course
    stages: tuple[Stage, ...]
    practices: tuple[Practice, ...]

    @property
    def stage_numbers(self) -> list[int]:
        return sorted(s.number for s in self.stages)

    def practice(self, practice_id: str) -> Practice:
        for practice in self.practices:
            if practice.id == practice_id:
                return practice
        raise KeyError(f"no practice with id {practice_id!r} in {CATALOGUE_FILE.name}")

    def stage(self, number: int) -> Stage:
        for stage in self.stages:
            if stage.number == number:
                return stage
        raise KeyError(f"no stage {number} in {CATALOGUE_FILE.name}")

    def up_to(self, stage: int) -> list[Practice]:
        """Grading is cumulative: stage N checks every practice of stages 1..N."""
        return [p for p in self.practices if p.stage <= stage]

    def of_stage(self, stage: int) -> list[Practice]:
        return [p for p in self.practices if p.stage == stage]


def _validate_plan(catalogue: Catalogue) -> None:
    course = catalogue.course
    notebooks = [item.notebook for item in course.agenda if item.notebook]
    wanted = [course.setup_notebook, *(s.notebook for s in sorted(catalogue.stages, key=lambda s: s.number))]
    if notebooks != wanted:
        raise ValueError(f"{CATALOGUE_FILE.name}: the agenda must hold each notebook once, in order: {wanted}")
    for day, available in enumerate(course.days, start=1):
        planned = sum(item.minutes for item in course.agenda if item.day == day)
        if planned > available:
            raise ValueError(f"{CATALOGUE_FILE.name}: day {day} plans {planned} min, it has {available}")
    if sum(course.days) > course.minutes or {item.day for item in course.agenda} - set(range(1, len(course.days) + 1)):
        raise ValueError(f"{CATALOGUE_FILE.name}: the agenda's days do not fit [course] days and minutes")


def _validate(catalogue: Catalogue) -> None:
    _validate_plan(catalogue)
    seen: set[str] = set()
    numbers = {s.number for s in catalogue.stages}
    for p in catalogue.practices:
        if p.id in seen:
            raise ValueError(f"{CATALOGUE_FILE.name}: practice {p.id!r} is listed twice")
        seen.add(p.id)
        if p.level not in LEVELS:
            raise ValueError(f"{CATALOGUE_FILE.name}: {p.id}: level must be one of {LEVELS}")
        if p.stage not in numbers:
            raise ValueError(f"{CATALOGUE_FILE.name}: {p.id}: unknown stage {p.stage}")
        if p.points < 0 or not p.fix or not p.why or not p.title:
            raise ValueError(f"{CATALOGUE_FILE.name}: {p.id}: title, why and fix are required")
        if not isinstance(p.more, str):
            raise ValueError(f"{CATALOGUE_FILE.name}: {p.id}: `more` (the second-level hint) must be a string")


@cache
def load() -> Catalogue:
    data = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    agenda = tuple(AgendaItem(**item) for item in data["agenda"])
    course = Course(**{**data["course"], "days": tuple(data["course"]["days"]), "agenda": agenda})
    catalogue = Catalogue(
        course=course,
        stages=tuple(Stage(**s, minutes=course.minutes_of(s["notebook"])) for s in data["stage"]),
        practices=tuple(Practice(**p) for p in data["practice"]),
    )
    _validate(catalogue)
    return catalogue
