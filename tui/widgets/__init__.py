"""The TUI's building blocks: images, the lazily paged grid and its cards, the status line."""
