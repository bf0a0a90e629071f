"""Name lookups over the cards and events in force for one period.

Inputs name roles, indicators and events by key or by Chinese name; the
catalog turns any of those spellings into the stable key, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cards import Card, Event, Grading, Indicator


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower()


@dataclass
class Catalog:
    cards: dict[str, Card]        # card key -> card
    events: dict[str, Event]      # event key -> event
    grading: Grading | None = None
    unscored_roles: tuple[str, ...] = ()   # roster roles without a card (e.g. 总经理): raters only

    def __post_init__(self):
        self._role = {}
        for card in self.cards.values():
            for spelling in (card.role, card.key, *card.aliases):
                self._role[_norm(spelling)] = card.key
        self._event = {}
        for ev in self.events.values():
            for spelling in (ev.key, ev.name, *ev.aliases):
                self._event[_norm(spelling)] = ev.key

    # roles -------------------------------------------------------------
    def card_for_role(self, role: str) -> Card | None:
        key = self._role.get(_norm(role))
        return self.cards[key] if key else None

    def is_unscored(self, role: str) -> bool:
        return _norm(role) in {_norm(r) for r in self.unscored_roles}

    def role_names(self) -> list[str]:
        return sorted(c.role for c in self.cards.values())

    # indicators ----------------------------------------------------------
    def indicator_key(self, card: Card, name: str) -> str | None:
        """Key of the indicator of `card` spelled `name` (key, name or alias)."""
        wanted = _norm(name)
        for ind in card.indicators:
            if wanted in (_norm(ind.key), _norm(ind.name), *(_norm(a) for a in ind.aliases)):
                return ind.key
        return None

    def indicator_anywhere(self, name: str) -> list[tuple[str, str]]:
        """(card key, indicator key) of every card that has an indicator spelled `name`."""
        return [(c.key, k) for c in self.cards.values() if (k := self.indicator_key(c, name))]

    def indicator(self, card: Card, key: str) -> Indicator:
        return card.indicator(key)

    # events ----------------------------------------------------------------
    def event_key(self, name: str) -> str | None:
        return self._event.get(_norm(name))

    def event_names(self) -> list[str]:
        return sorted(e.name for e in self.events.values())
