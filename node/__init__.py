"""One Roost device: index local media, label it, search it, and serve family peers."""
