"""Load and check params/: the scorecards, grades, raters and events as dated YAML.

YAML is read exactly: numbers become Decimal as written, date keys become
`datetime.date`, duplicate keys and impossible dates are problems. A mapping whose
keys are all dates is a *dated value*: a period uses the entry with the greatest
date on or before its first day. Every problem in the folder is collected and
raised once as a ParamsError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .cards import RATER_ROLES, RULE_TYPES, Card, Event, GradeBand, Grading, Indicator, Section
from .catalog import Catalog, _norm
from .errors import ParamsError
from .periods import Period

CADENCES = ("monthly", "quarterly")
MISSING_RATER = ("renormalise", "zero", "error")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# rule type -> (required, optional) parameters, each with its kind
NUM, TEXT = "number", "text"
RULE_PARAMS: dict[str, tuple[dict, dict]] = {
    "step": ({"penalty": NUM, "step": NUM}, {
        "basis": ("ratio", "difference"), "direction": ("higher_is_better", "lower_is_better"),
        "zero_below": NUM, "zero_above": NUM, "bonus": NUM, "bonus_step": NUM, "target": NUM,
        "rounding": ("floor", "ceil", "proportional"), "unit": TEXT}),
    "proportional": ({}, {"target": NUM, "cap": NUM, "unit": TEXT}),
    "per_unit": ({"unit_points": NUM}, {"unit": TEXT}),
    "deduction": ({"events": "events"}, {"zero_after": NUM, "zero_at": NUM}),
    "bonus_events": ({"events": "events"}, {}),
    "levels": ({}, {"levels": "levels", "raters": "raters", "missing_rater": MISSING_RATER}),
    "scaled_rating": ({"rating_max": NUM}, {}),
    "adjustment": ({}, {}),
}
# schema defaults (docs/params.md), written into every resolved rule
RULE_DEFAULTS = {
    "step": {"basis": "ratio", "direction": "higher_is_better", "rounding": "floor"},
    "proportional": {"cap": Decimal(1)},
}
EVENT_VALUES = {"deduction": ("penalty", "fixed"), "bonus_events": ("bonus",)}

CARD_FIELDS = {"key", "role", "aliases", "department", "cadence", "total", "reference",
               "description", "raters", "missing_rater", "sections"}
SECTION_FIELDS = {"key", "name", "points", "reference", "indicators"}
INDICATOR_FIELDS = {"key", "name", "aliases", "points", "min_points", "max_points",
                    "reference", "description", "rule"}


# YAML reading ----------------------------------------------------------------------
class BadDate(str):
    """A key written like a date that is no date (2026-02-30); reported, then ignored."""


def _as_date(text: str) -> date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return date(*map(int, m.groups()))
    except ValueError:
        return None


def _number(loader, node) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:     # 0x1F, 1:30 and the like: YAML's reading, then exact
        value = yaml.SafeLoader.construct_yaml_int(loader, node) if node.tag.endswith("int") \
            else yaml.SafeLoader.construct_yaml_float(loader, node)
        return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def _timestamp(loader, node):
    text = loader.construct_scalar(node)
    return _as_date(text) or BadDate(text)


class _Loader(yaml.SafeLoader):
    """SafeLoader reading numbers as Decimal and dates as date (never float, never datetime)."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """_Loader on libyaml's parser when PyYAML has it (the same nodes, read in C)."""


for _cls in (_Loader, _FastLoader):
    _cls.add_constructor("tag:yaml.org,2002:int", _number)
    _cls.add_constructor("tag:yaml.org,2002:float", _number)
    _cls.add_constructor(_TIMESTAMP, _timestamp)
    _cls.add_implicit_resolver(_TIMESTAMP, re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), list("0123456789"))


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


@dataclass
class _File:
    path: Path
    rel: str                  # path as shown in messages, e.g. cards/ka_manager.yaml
    data: Any
    dates: set                # dates of its dated values
    ok: bool = True           # False when the YAML could not be parsed


def _walk(node, path: str, rel: str, dates: set, problems: list) -> None:
    """Duplicate keys, bad dates and half-dated mappings, with key path and line."""
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        kinds = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            text = key_node.value if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            where, line = _join(path, text), key_node.start_mark.line + 1
            is_date = key_node.tag == _TIMESTAMP
            kinds.add(is_date)
            ident = _as_date(text) if is_date else (key_node.tag, text)
            if is_date and ident is None:
                problems.append(f"{rel}: {where}: bad date {text!r} (line {line}); write a real day as 2026-01-01")
                ident = ("bad", text)
            if ident in seen:
                problems.append(f"{rel}: {where}: duplicate key {text!r} (line {line}, first at line {seen[ident]})")
            else:
                seen[ident] = line
            if is_date and isinstance(ident, date):
                dates.add(ident)
            _walk(value_node, where, rel, dates, problems)
        if len(kinds) > 1:
            problems.append(f"{rel}: {path or '<top>'}: mixes date keys and other keys "
                            f"(line {node.start_mark.line + 1}); a dated value has only dates as keys")
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, _join(path, i), rel, dates, problems)
    elif node.tag == _TIMESTAMP and _as_date(node.value) is None:
        problems.append(f"{rel}: {path}: bad date {node.value!r} (line {node.start_mark.line + 1})")


def _read(path: Path, root: Path, problems: list) -> _File:
    rel = path.relative_to(root).as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{rel}: not UTF-8 text ({exc.reason}); save it as UTF-8")
        return _File(path, rel, None, set(), ok=False)
    found: list = []
    read = _parse(text, path, rel, found, _FastLoader)
    if not read.ok:                   # the messages of the Python parser, as they have always read
        found = []
        read = _parse(text, path, rel, found, _Loader)
    problems.extend(found)
    return read


def _parse(text: str, path: Path, rel: str, problems: list, kind) -> _File:
    dates: set = set()
    loader = kind(text)
    data, ok = None, True
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(node, "", rel, dates, problems)
            data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        problems.append(f"{rel}: not valid YAML: {exc}")
        ok = False
    finally:
        loader.dispose()
    return _File(path, rel, data, dates, ok)


# dated values ---------------------------------------------------------------------
def is_dated(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, (date, BadDate)) for k in value)


class _Missing:
    def __repr__(self):
        return "<nothing in force>"


MISSING = _Missing()


def resolve(value, on: date, path: str = "", missing: list | None = None):
    """`value` with every dated value replaced by the one in force on `on`.

    A dated value with nothing in force yet becomes MISSING and (path, earliest
    date) is appended to `missing`.
    """
    if is_dated(value):
        entries = sorted((k, v) for k, v in value.items() if isinstance(k, date))
        in_force = [v for k, v in entries if k <= on]
        if not in_force:
            if missing is not None:
                missing.append((path, entries[0][0] if entries else None))
            return MISSING
        return resolve(in_force[-1], on, path, missing)
    if isinstance(value, dict):
        return {k: resolve(v, on, _join(path, k), missing) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, on, _join(path, i), missing) for i, v in enumerate(value)]
    return value


# checking helpers ---------------------------------------------------------------------
class _Report:
    """Problems of one file at one date: `add(path, text)`."""

    def __init__(self, rel: str, sink: list):
        self.rel, self.sink = rel, sink

    def add(self, path: str, text: str) -> None:
        self.sink.append(f"{self.rel}: {path}: {text}" if path else f"{self.rel}: {text}")


def _is_num(value) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _names(value, path: str, rep: _Report) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(_text(v) for v in value):
        return tuple(value)
    rep.add(path, "aliases must be a list of names")
    return ()


def _unknown(data: dict, allowed: set, path: str, rep: _Report) -> None:
    for k in data:
        if k not in allowed:
            rep.add(_join(path, k), f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _mapping(value, path: str, rep: _Report, what: str) -> dict | None:
    if isinstance(value, dict):
        return value
    rep.add(path, f"{what} must be a mapping, got {value!r}")
    return None


def _points(data: dict, name: str, path: str, rep: _Report, default, nullable: bool):
    if name not in data:
        return default
    value = data[name]
    if value is None and nullable:
        return None
    if not _is_num(value):
        rep.add(_join(path, name), f"must be a number{' or null' if nullable else ''}, got {value!r}")
        return default
    return value


def _raters(value, path: str, rep: _Report) -> dict[str, Decimal] | None:
    if _mapping(value, path, rep, "raters") is None:
        return None
    ok = True
    for role, w in value.items():
        if role not in RATER_ROLES:
            rep.add(_join(path, role), f"unknown rater role; use {', '.join(RATER_ROLES)}")
            ok = False
        elif not _is_num(w) or w < 0:
            rep.add(_join(path, role), f"weight must be a number >= 0, got {w!r}")
            ok = False
    if ok and sum(value.values()) != 100:
        rep.add(path, f"weights add up to {sum(value.values())}, not 100")
        ok = False
    return {r: value[r] for r in RATER_ROLES if r in value} if ok else None


# rules ----------------------------------------------------------------------------------
def _check_param(kind, value, path: str, rep: _Report, rule_type: str, events: set | None):
    if kind == NUM:
        if not _is_num(value):
            rep.add(path, f"must be a number, got {value!r}")
        return value
    if kind == TEXT:
        if not _text(value):
            rep.add(path, f"must be text, got {value!r}")
        return value
    if isinstance(kind, tuple):
        if value not in kind:
            rep.add(path, f"{value!r} is not one of {', '.join(kind)}")
        return value
    if kind == "raters":
        return _raters(value, path, rep)
    if kind == "levels":
        return _levels(value, path, rep)
    return _events(value, path, rep, rule_type, events)


def _levels(value, path: str, rep: _Report) -> list:
    if not isinstance(value, list) or not value:
        rep.add(path, "levels must be a non-empty list of {level, name, points}")
        return []
    out, seen = [], set()
    for i, lv in enumerate(value):
        p = _join(path, i)
        if _mapping(lv, p, rep, "a level") is None:
            continue
        _unknown(lv, {"level", "name", "points"}, p, rep)
        code = lv.get("level")
        if code is None or isinstance(code, bool):
            rep.add(_join(p, "level"), "missing level code")
            continue
        code = str(code)
        if code in seen:
            rep.add(_join(p, "level"), f"duplicate level code {code!r}")
        seen.add(code)
        if not _is_num(lv.get("points")):
            rep.add(_join(p, "points"), f"must be a number, got {lv.get('points')!r}")
        out.append({"level": code, "name": lv.get("name") or code, "points": lv.get("points")})
    return out


def _events(value, path: str, rep: _Report, rule_type: str, events: set | None) -> list:
    kinds = EVENT_VALUES[rule_type]
    shape = " or ".join(f"{{event, {k}}}" for k in kinds)
    if not isinstance(value, list) or not value:
        rep.add(path, f"events must be a non-empty list of {shape}")
        return []
    out = []
    for i, spec in enumerate(value):
        p = _join(path, i)
        if _mapping(spec, p, rep, "an event entry") is None:
            continue
        _unknown(spec, {"event", *kinds}, p, rep)
        ev = spec.get("event")
        if not _text(ev):
            rep.add(_join(p, "event"), "missing event key")
        elif events is not None and ev not in events:
            rep.add(_join(p, "event"), f"event {ev!r} is not in events.yaml")
        given = [k for k in kinds if k in spec]
        if len(given) != 1:
            rep.add(p, f"give exactly one of {', '.join(kinds)}")
            continue
        k = given[0]
        v = spec[k]
        if not _is_num(v):
            rep.add(_join(p, k), f"must be a number, got {v!r}")
        elif k in ("penalty", "bonus") and v <= 0:
            rep.add(_join(p, k), f"{k} is the points taken off / added: write it positive, got {v}")
        out.append({"event": ev, k: v})
    return out


def _rule(value, path: str, rep: _Report, events: set | None) -> dict | None:
    if _mapping(value, path, rep, "rule") is None:
        return None
    kind = value.get("type")
    if kind not in RULE_TYPES:
        rep.add(_join(path, "type"), f"unknown rule type {kind!r}; use one of {', '.join(RULE_TYPES)}")
        return None
    required, optional = RULE_PARAMS[kind]
    rule = {"type": kind, **RULE_DEFAULTS.get(kind, {})}
    for name in required:
        if name not in value:
            rep.add(path, f"{kind} rule needs parameter {name!r}")
    for name, v in value.items():
        if name == "type":
            continue
        p = _join(path, name)
        if name not in required and name not in optional:
            allowed = sorted({*required, *optional})
            rep.add(p, f"unknown parameter of a {kind} rule; allowed: {', '.join(allowed) or 'none'}")
            continue
        rule[name] = _check_param(required.get(name) or optional[name], v, p, rep, kind, events)
    if kind == "step" and ("bonus" in value) != ("bonus_step" in value):
        rep.add(path, "step rule: give bonus and bonus_step together")
    if kind == "deduction" and "zero_after" in value and "zero_at" in value:
        rep.add(path, "deduction rule: give zero_after or zero_at, not both")
    return rule


# cards ---------------------------------------------------------------------------------
def _indicator(data, path, section, rep, events, raters, missing_rater) -> Indicator | None:
    if _mapping(data, path, rep, "an indicator") is None:
        return None
    _unknown(data, INDICATOR_FIELDS, path, rep)
    key, name = data.get("key"), data.get("name")
    if not (isinstance(key, str) and KEY.match(key)):
        rep.add(_join(path, "key"), f"indicator key must be lower-case ASCII (a-z, 0-9, _), got {key!r}")
    if not _text(name):
        rep.add(_join(path, "name"), "missing Chinese name")
    if not _is_num(data.get("points")):
        rep.add(_join(path, "points"), f"must be a number, got {data.get('points')!r}")
        return None
    points = data["points"]
    lo = _points(data, "min_points", path, rep, Decimal(0), nullable=True)
    hi = _points(data, "max_points", path, rep, points, nullable=True)
    if (lo is not None and lo > points) or (hi is not None and hi < points):
        rep.add(path, f"points {points} must lie within [min_points {lo}, max_points {hi}]")
    rule = _rule(data.get("rule"), _join(path, "rule"), rep, events)
    if rule is None:
        return None
    if rule["type"] == "levels":
        rule.setdefault("raters", raters)
        rule.setdefault("missing_rater", missing_rater)
        for i, lv in enumerate(rule.get("levels", [])):
            if _is_num(lv["points"]) and hi is not None and lv["points"] > hi:
                rep.add(_join(path, f"rule.levels[{i}].points"), f"{lv['points']} is over the item's maximum {hi}")
    return Indicator(key=key, name=name, points=points, rule=rule, min_points=lo, max_points=hi,
                     reference=str(data.get("reference") or ""),
                     aliases=_names(data.get("aliases"), _join(path, "aliases"), rep), section=section)


def _sum_points(raw_indicators: list) -> Decimal | None:
    """Sum of the points as written, or None when some are not numbers (reported elsewhere)."""
    points = [i.get("points") if isinstance(i, dict) else None for i in raw_indicators]
    return sum(points, Decimal(0)) if all(_is_num(p) for p in points) else None


def build_card(data, rep: _Report, events: set | None, raters: dict, missing_rater: str,
               stem: str | None = None) -> Card | None:
    """The Card of one resolved card file; problems go to `rep`."""
    if _mapping(data, "", rep, "a card file") is None:
        return None
    _unknown(data, CARD_FIELDS, "", rep)
    key = data.get("key")
    if not (isinstance(key, str) and KEY.match(key)):
        rep.add("key", f"card key must be lower-case ASCII, got {key!r}")
    elif stem and key != stem:
        rep.add("key", f"card key {key!r} differs from the file name {stem}.yaml")
    for field_ in ("role", "department"):
        if not _text(data.get(field_)):
            rep.add(field_, "missing")
    if data.get("cadence") not in CADENCES:
        rep.add("cadence", f"unknown cadence {data.get('cadence')!r}; use {' or '.join(CADENCES)}")
    if not _is_num(data.get("total")):
        rep.add("total", f"must be a number, got {data.get('total')!r}")
    if "raters" in data:
        raters = _raters(data["raters"], "raters", rep) or raters
    if "missing_rater" in data:
        missing_rater = _check_param(MISSING_RATER, data["missing_rater"], "missing_rater", rep, "", None)
    sections_in = data.get("sections")
    if not isinstance(sections_in, list) or not sections_in:
        rep.add("sections", "a card needs a non-empty list of sections")
        sections_in = []
    sections, seen_sections, seen_names = [], set(), {}
    for s_i, sec in enumerate(sections_in):
        sp = f"sections[{s_i}]"
        if _mapping(sec, sp, rep, "a section") is None:
            continue
        _unknown(sec, SECTION_FIELDS, sp, rep)
        skey = sec.get("key")
        if not (isinstance(skey, str) and KEY.match(skey)):
            rep.add(_join(sp, "key"), f"section key must be lower-case ASCII, got {skey!r}")
        elif skey in seen_sections:
            rep.add(_join(sp, "key"), f"duplicate section key {skey!r}")
        seen_sections.add(skey)
        inds, raw_inds = [], sec.get("indicators")
        if not isinstance(raw_inds, list) or not raw_inds:
            rep.add(_join(sp, "indicators"), "a section needs a non-empty list of indicators")
            raw_inds = []
        for i_i, raw in enumerate(raw_inds):
            ind = _indicator(raw, f"{sp}.indicators[{i_i}]", skey, rep, events, raters, missing_rater)
            if ind is None:
                continue
            for spelling in {_norm(s) for s in (ind.key, ind.name, *ind.aliases) if s}:
                if spelling in seen_names and seen_names[spelling] != ind.key:
                    rep.add(f"{sp}.indicators[{i_i}]",
                            f"name {spelling!r} also names indicator {seen_names[spelling]!r} of this card")
                seen_names.setdefault(spelling, ind.key)
            inds.append(ind)
        got = _sum_points(raw_inds)
        if "points" in sec and _is_num(sec["points"]) and got is not None:
            if got != sec["points"]:
                rep.add(_join(sp, "points"), f"indicator points add up to {got}, section says {sec['points']}")
        sections.append(Section(key=skey, name=str(sec.get("name") or skey), indicators=tuple(inds)))
    card = Card(key=key, role=data.get("role"), department=data.get("department"),
                cadence=data.get("cadence"), total=data.get("total"), sections=tuple(sections),
                reference=str(data.get("reference") or ""),
                aliases=_names(data.get("aliases"), "aliases", rep),
                raters=raters, missing_rater=missing_rater)
    got = _sum_points([i for s in sections_in if isinstance(s, dict) and isinstance(s.get("indicators"), list)
                       for i in s["indicators"]])
    if _is_num(card.total) and got is not None:
        if got != card.total:
            rep.add("sections", f"indicator points add up to {got}, not the card's total {card.total}")
    return card


# events, raters, grades --------------------------------------------------------------------
def build_events(data, rep: _Report) -> dict[str, Event]:
    out: dict[str, Event] = {}
    if isinstance(data, dict):
        _unknown(data, {"events", "reference", "description"}, "", rep)
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        rep.add("events", "events.yaml needs a list `events` of {key, name, aliases}")
        return out
    spellings: dict[str, str] = {}
    for i, item in enumerate(items):
        p = f"events[{i}]"
        if _mapping(item, p, rep, "an event") is None:
            continue
        _unknown(item, {"key", "name", "aliases", "description"}, p, rep)
        key, name = item.get("key"), item.get("name")
        if not (isinstance(key, str) and KEY.match(key)):
            rep.add(_join(p, "key"), f"event key must be lower-case ASCII, got {key!r}")
            continue
        if key in out:
            rep.add(_join(p, "key"), f"duplicate event key {key!r}")
            continue
        if not _text(name):
            rep.add(_join(p, "name"), "missing Chinese name")
            name = key
        ev = Event(key=key, name=name, aliases=_names(item.get("aliases"), _join(p, "aliases"), rep))
        for s in {_norm(x) for x in (ev.key, ev.name, *ev.aliases)}:
            if s in spellings:
                rep.add(p, f"spelling {s!r} also names event {spellings[s]!r}")
            spellings.setdefault(s, key)
        out[key] = ev
    return out


def build_raters(data, rep: _Report) -> tuple[dict, str]:
    if _mapping(data, "", rep, "raters.yaml") is None:
        return {}, "renormalise"
    _unknown(data, {"weights", "missing", "reference", "description"}, "", rep)
    weights = _raters(data.get("weights"), "weights", rep) or {}
    missing = data.get("missing", "renormalise")
    _check_param(MISSING_RATER, missing, "missing", rep, "", None)
    return weights, missing


def build_grading(data, rep: _Report) -> Grading | None:
    if _mapping(data, "", rep, "grades.yaml") is None:
        return None
    _unknown(data, {"bands", "forced_distribution", "reference", "description"}, "", rep)
    bands, prev = [], None
    raw = data.get("bands")
    if not isinstance(raw, list) or not raw:
        rep.add("bands", "needs a list of {grade, min_total}, highest first, the last with min_total null")
        return None
    for i, b in enumerate(raw):
        p = f"bands[{i}]"
        if _mapping(b, p, rep, "a band") is None:
            continue
        _unknown(b, {"grade", "min_total"}, p, rep)
        lo, last = b.get("min_total"), i == len(raw) - 1
        if last and lo is not None:
            rep.add(_join(p, "min_total"), "the lowest band takes min_total: null")
        elif not last and not _is_num(lo):
            rep.add(_join(p, "min_total"), f"must be a number, got {lo!r}")
        elif not last and prev is not None and lo >= prev:
            rep.add(_join(p, "min_total"), "bands go from the highest to the lowest")
        prev = lo if _is_num(lo) else prev
        if b.get("grade") in [x.grade for x in bands]:
            rep.add(_join(p, "grade"), f"duplicate grade {b.get('grade')!r}")
        bands.append(GradeBand(grade=str(b.get("grade")), min_total=lo))
    grades = [b.grade for b in bands]
    forced, fallback = {}, {}
    fd = data.get("forced_distribution") or {}
    if _mapping(fd, "forced_distribution", rep, "forced_distribution") is not None:
        _unknown(fd, {"enabled", "limits"}, "forced_distribution", rep)
        if not isinstance(fd.get("enabled", False), bool):
            rep.add("forced_distribution.enabled", "must be true or false")
        for i, lim in enumerate(fd.get("limits") or []):
            p = f"forced_distribution.limits[{i}]"
            if _mapping(lim, p, rep, "a limit") is None:
                continue
            _unknown(lim, {"grade", "max_percent", "fallback"}, p, rep)
            g, fb, pct = lim.get("grade"), lim.get("fallback"), lim.get("max_percent")
            if g not in grades:
                rep.add(_join(p, "grade"), f"unknown grade {g!r}; grades: {', '.join(grades)}")
            if fb is not None and (fb not in grades or (g in grades and grades.index(fb) <= grades.index(g))):
                rep.add(_join(p, "fallback"), f"fallback {fb!r} must be a lower grade than {g!r}")
            if not _is_num(pct) or not 0 <= pct <= 100:
                rep.add(_join(p, "max_percent"), f"must be a percent 0..100, got {pct!r}")
            if fd.get("enabled") is True:
                forced[g] = pct
                if fb is not None:
                    fallback[g] = fb
    return Grading(bands=tuple(bands), forced=forced, fallback_grade=fallback)


# the folder ---------------------------------------------------------------------------------
def build_unscored(data, rep: "_Report", card_roles: dict):
    """roles.yaml: `unscored`, roster roles that have no card (they may rate, they are not scored)."""
    if data is MISSING:
        return MISSING
    if not isinstance(data, dict):
        rep.add("", "expected a mapping with the key `unscored`")
        return MISSING
    _unknown(data, {"unscored", "reference", "description"}, "", rep)
    roles = data.get("unscored") or []
    if not isinstance(roles, list) or not all(_text(r) for r in roles):
        rep.add("unscored", "expected a list of role names")
        return MISSING
    for i, r in enumerate(roles):
        if _norm(r) in card_roles:
            rep.add(f"unscored[{i}]", f"role {r!r} has a card ({card_roles[_norm(r)]}); it cannot be unscored")
    return tuple(roles)


@dataclass
class _Built:
    cards: dict[str, Card]
    events: dict[str, Event]
    grading: Grading | None
    unscored: tuple[str, ...] = ()


class Params:
    """params/ as read from disk; everything for a period comes from `catalog(period)`."""

    def __init__(self, params_dir: Path, files: dict[str, _File]):
        self.dir = params_dir
        self._files = files
        self.files = [f.path for f in files.values()]
        self._catalogs: dict[date, Catalog] = {}

    @property
    def dates(self) -> list[date]:
        """Every date on which some value changes."""
        return sorted(set().union(*(f.dates for f in self._files.values())))

    def catalog(self, period) -> Catalog:
        on = Period.parse(period).start
        if on not in self._catalogs:
            problems: list[str] = []
            built = self._build(on, problems, strict=True, label=Period.parse(period).label)
            if problems:
                raise ParamsError(problems)
            self._catalogs[on] = Catalog(cards=built.cards, events=built.events, grading=built.grading,
                                         unscored_roles=built.unscored)
        return self._catalogs[on]

    def card(self, card_key: str, period) -> Card:
        cat = self.catalog(period)
        card = cat.cards.get(card_key) or cat.card_for_role(card_key)
        if card is None:
            raise KeyError(f"no card {card_key!r}; cards: {', '.join(sorted(cat.cards))}")
        return card

    def grading(self, period) -> Grading:
        return self.catalog(period).grading

    def document(self, name: str, period):
        """Any other YAML of params/ (e.g. 'pay' for pay.yaml), resolved for `period`."""
        rel = name if name.endswith(".yaml") else f"{name}.yaml"
        f = self._files.get(rel)
        if f is None:
            raise KeyError(f"no {rel} in {self.dir}; files: {', '.join(sorted(self._files))}")
        missing: list = []
        value = resolve(f.data, Period.parse(period).start, "", missing)
        if missing:
            raise ParamsError([_missing_text(f.rel, p, first, Period.parse(period).label) for p, first in missing])
        return value

    # building ------------------------------------------------------------------------
    def _resolved(self, rel: str, on: date, problems: list, strict: bool, label: str):
        """The file's data on `on`, or MISSING when it is not (fully) in force."""
        f = self._files.get(rel)
        if f is None or not f.ok:
            return MISSING             # reported when read
        if not strict and f.dates and on < min(f.dates):
            return MISSING             # not in force yet: nothing to check on this date
        missing: list = []
        data = resolve(f.data, on, "", missing)
        for p, first in missing:
            problems.append(_missing_text(rel, p, first, label))
        return MISSING if missing else data

    def _build(self, on: date, problems: list, strict: bool, label: str) -> _Built:
        def get(rel):
            return self._resolved(rel, on, problems, strict, label)

        events_data = get("events.yaml")
        events = build_events(events_data, _Report("events.yaml", problems)) \
            if events_data is not MISSING else None
        raters_data = get("raters.yaml")
        weights, missing_rater = build_raters(raters_data, _Report("raters.yaml", problems)) \
            if raters_data is not MISSING else ({}, "renormalise")
        grades_data = get("grades.yaml")
        grading = build_grading(grades_data, _Report("grades.yaml", problems)) \
            if grades_data is not MISSING else None
        cards: dict[str, Card] = {}
        owners: dict[str, str] = {}      # indicator key -> file
        roles: dict[str, str] = {}       # role spelling -> file
        for rel in sorted(r for r in self._files if r.startswith("cards/")):
            data = get(rel)
            if data is MISSING:
                continue
            rep = _Report(rel, problems)
            card = build_card(data, rep, set(events) if events is not None else None,
                              weights, missing_rater, stem=Path(rel).stem)
            if card is None or not isinstance(card.key, str):
                continue
            for s_i, sec in enumerate(card.sections):
                for i_i, ind in enumerate(sec.indicators):
                    if ind.key in owners:
                        rep.add(f"sections[{s_i}].indicators[{i_i}].key",
                                f"indicator key {ind.key!r} is already used in {owners[ind.key]}")
                    owners.setdefault(ind.key, rel)
            for spelling in {_norm(s) for s in (card.role or "", card.key, *card.aliases) if s}:
                if spelling in roles:
                    rep.add("role", f"role {spelling!r} is also claimed by {roles[spelling]}")
                roles.setdefault(spelling, rel)
            cards[card.key] = card
        unscored = build_unscored(get("roles.yaml"), _Report("roles.yaml", problems), roles) \
            if "roles.yaml" in self._files else MISSING
        return _Built(cards=cards, events=events or {}, grading=grading,
                      unscored=() if unscored is MISSING else unscored)

    def check(self) -> list[str]:
        """Every problem of every version of the folder (empty when all is well)."""
        problems: list[str] = []
        versions = self.dates or [date.min]
        for on in versions:
            found: list[str] = []
            self._build(on, found, strict=False, label=str(on))
            suffix = f" (values in force on {on})" if len(versions) > 1 else ""
            problems += [p + suffix for p in found]
        return _dedupe(problems)


def _missing_text(rel: str, path: str, first, label: str) -> str:
    since = f"; the earliest value is from {first}" if first else ""
    return f"{rel}: {path or '<top>'}: nothing in force for {label}{since}"


def _dedupe(problems: list[str]) -> list[str]:
    """Keep the first of problems that differ only by the version suffix."""
    seen, out = set(), []
    for p in problems:
        base = re.sub(r" \(values in force on [\d-]+\)$", "", p)
        if base not in seen:
            seen.add(base)
            out.append(p)
    return out


REQUIRED = ("events.yaml", "raters.yaml", "grades.yaml")


def load_params(params_dir="params") -> Params:
    """Read and check every YAML under `params_dir`; raise ParamsError listing all problems."""
    root = Path(params_dir)
    problems: list[str] = []
    if not root.is_dir():
        raise ParamsError([f"{root}: no such folder"])
    files = {}
    for path in sorted(root.rglob("*.yaml")):
        f = _read(path, root, problems)
        files[f.rel] = f
    for rel in REQUIRED:
        if rel not in files:
            problems.append(f"{rel}: missing (expected in {root})")
    if not any(r.startswith("cards/") for r in files):
        problems.append(f"cards/: no card files in {root / 'cards'}")
    params = Params(root, files)
    problems += params.check()
    if problems:
        raise ParamsError(problems)
    return params
