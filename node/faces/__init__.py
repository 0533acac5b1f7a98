"""Find faces in a working image and turn each into an identity vector."""
