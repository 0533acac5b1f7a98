"""One module per screen: people, one person's faces, review, search, photo, devices."""
