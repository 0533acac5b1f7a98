"""From a path on disk to pixels and metadata: scan, identify by content, decode, read EXIF."""

import pillow_heif

# HEIC/HEIF (every iPhone since 2017) through Pillow, for decoding and EXIF alike.
pillow_heif.register_heif_opener()
