"""Pets by name: dogs and cats told apart by their bodies' appearance, in a space of their own.

The vision stage crops every dog and cat it detects (`node.vision.tables`, ids `<hash16>-b<idx>`)
and describes it with the classifier's penultimate features. Pets are then treated as faces
are, with rules calibrated for this space: clustered incrementally (`clusters`), matched to the
pets the user named with a calibrated confidence (`place`), and folded into the one people
state, so `roost people`, `roost name ID NAME --pet`, suggestions, confirm, reject, merge, undo,
sync and search see a pet's body exactly as they see a face. People whose face could not be
found get a body too (a figure), which the user may name; figures are never proposed.

No model that recognises individual animals is available, so two dogs of one breed look alike
here; a family with one dog of a breed gets it right, and the review makes the rest a yes/no.
"""
