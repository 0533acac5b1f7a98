"""The Textual app for labeling people and pets and searching the family's photos."""
