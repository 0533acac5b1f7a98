"""From a path on disk to pixels and metadata: scan, identify by content, decode, read EXIF, XMP
and the sidecars other apps left beside a photo."""

from node.media import formats

formats.register_openers()
