"""People and pets: who is in each face, as the user said it and as the faces suggest.

The stages, in data-flow order:

- `quality`: which faces are good enough to start or join a group on their own.
- `clusters`: unnamed faces grouped incrementally after each index run (`update_clusters`).
- `events`: every label edit, appended to a log that is the only durable record of them; what
  an event is and how the log folds into subjects, confirmed faces and rejections (the merge
  rule that lets family devices combine their logs) is `protocol.labels`.
- `suggest`: unconfirmed faces matched to named subjects, with a calibrated confidence.
- `state`: all of it materialised per face for fast, paged reading (`refresh`, `subjects`,
  `faces_page`, `suggestions`).
- `edits`: what a user does (name, merge, split, reject, confirm, rename, forget); the CLI and
  the TUI both call these.
"""
