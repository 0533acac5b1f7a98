"""From a path on disk to pixels and metadata: scan, identify by content, decode, read EXIF."""
