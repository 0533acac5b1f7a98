"""The one interface every indexing stage implements.

A stage turns one photo's content into rows of its own: the face stage finds, embeds and crops
faces; the thumbnail stage makes a small JPEG of the photo. It says what it needs (`Needs`), a
`version` recorded in its done marker, and how to write what it made. The run (`node.index.run`)
decides which photos a stage still has to do, feeds them through its `steps` on worker threads
and commits the results; a stage knows nothing of threads, batches or markers.

Models load lazily: `load()` is called from the stage's first step, so a run that finds nothing
to do loads nothing. A stage whose model is absent says so in `unavailable()` without loading
anything; an optional stage is then skipped with that reason in the run's summary, a required
one stops the run. No stage ever runs on substitute weights.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from node.library.store import Library, StageRows
from node.media.decode import Decoded


class Needs(StrEnum):
    """What a stage reads for a photo."""

    IMAGE = "image"  # the decoded, upright working image (decoded once, shared by all stages)
    FILE = "file"  # the file itself, for formats a stage decodes on its own (video)
    ROWS = "rows"  # only rows earlier stages wrote (`Stage.after`)


@dataclass
class Work:
    """One photo on its way through the stages of one run."""

    hash: str
    path: str
    pending: dict[str, str | None]  # stage name → the version it last ran at here (None: never)
    new: bool = False  # content the library does not hold yet
    decoded: Decoded | None = None
    results: dict[str, Any] = field(default_factory=dict)  # stage name → what it made
    failed: str | None = None  # why this photo could not be processed, once a stage failed

    def previous(self, stage: str) -> str | None:
        return self.pending.get(stage)


@dataclass(frozen=True)
class Step:
    """One function of one photo. With `workers` > 1 the pipeline runs it on that many threads
    at once, on different photos (the function must then be safe to call concurrently)."""

    run: Callable[[Work], None]
    workers: int = 1


class Stage(ABC):
    """A unit of indexing with its own done marker. Subclasses set the class attributes."""

    name: ClassVar[str]
    needs: ClassVar[Needs]
    after: ClassVar[tuple[str, ...]] = ()  # stages whose rows this one reads
    required: ClassVar[bool] = False  # a required stage's missing model stops the run

    def __init__(self) -> None:
        self.loaded: list[str] = []  # ids of the models this stage has loaded, in order

    @property
    @abstractmethod
    def version(self) -> str:
        """Recorded in the done marker; a different version makes the stage run again."""

    def unavailable(self) -> str | None:
        """Why this stage cannot run here (its model is missing), without loading anything."""
        return None

    def load(self) -> None:
        """Load models; called by the first step, idempotent."""
        return None

    def steps(self) -> Sequence[Step]:
        """The stage's work on one photo, as steps that may run on different threads: photo n+1
        can be in the first step while photo n is in the second."""
        return (Step(self.run),)

    def run(self, work: Work) -> None:
        """Process one photo; put the result in `work.results[self.name]`."""
        raise NotImplementedError

    @abstractmethod
    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        """What to write for the photos this stage completed, in one batch."""

    def tables(self, library: Library) -> dict[str, str]:
        """Tables holding this stage's rows per photo: name → content-hash column (for
        forgetting photos that no file points at any more)."""
        return {}


class StageFailed(Exception):
    """This stage could not process this photo; the message says why. The run goes on."""
