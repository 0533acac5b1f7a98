"""The always-on part of the node: keep the library's folders indexed while it runs.

`keeper.Keeper` is the node's component (start/stop): it watches the folders (`changes`),
rescans them now and then, and calls `node.index.run.index` at low priority (`priority`), pausing
on battery (`power`) and publishing its progress to `<home>/indexing.json` (`progress`).
"""
