"""The label edits made in this TUI session, newest last, so that `u` can take them back in turn.

Undo is `node.people.edits.undo`: the faces and subjects an action named are labelled again as
if it had never been made, by new events in the log (which family devices fold like any other
edit). This module only remembers which events each action appended. When an action is taken
back, its events and those of its undo are handed down to the action before it, and go with
that one when it is taken back in turn: an undone pair must not reassert the labels the earlier
action made (say, confirm a face, split it off, undo the split, undo the confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from node.people import edits
from tui.data import Edit, Roost


@dataclass
class _Action:
    what: str
    events: tuple[str, ...]
    undone_since: list[str] = field(default_factory=list)  # later actions and their undos


class History:
    def __init__(self, roost: Roost) -> None:
        self._roost = roost
        self._done: list[_Action] = []

    def do(self, what: str, *steps: Edit) -> list[edits.Change]:
        """Make an action's edits (one or more `node.people.edits` calls) and remember them."""
        changes = self._roost.edit(*steps)
        events = tuple(event for change in changes for event in change.events)
        if events:
            self._done.append(_Action(what, events))
        return changes

    def undo(self) -> str | None:
        """Take back the newest action left; what it was, or None if there is none."""
        if not self._done:
            return None
        action = self._done[-1]
        taken = [*action.events, *action.undone_since]
        try:
            (undone,) = self._roost.edit(lambda library: edits.undo(library, taken))
        except edits.LabelError:
            self._done.pop()  # it cannot be taken back (made final since): the next `u` skips it
            raise
        self._done.pop()
        if self._done:
            self._done[-1].undone_since += [*taken, *undone.events]
        return action.what
