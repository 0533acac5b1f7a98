"""Indexing: the stage interface (`stage`), the stages Roost knows (`registry`, `faces`,
`thumbnails`), how photos flow through them (`pipeline`) and the `roost index` run (`run`)."""
