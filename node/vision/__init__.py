"""What a photo shows besides faces: animals and objects, scene labels, pets' appearance, and
(with a user's CLIP-style model) an image embedding for open-vocabulary words.

In data-flow order:

- `model`: what every vision model says about itself (its spec, what it needs, whether loaded).
- `detect`: COCO objects and animals with boxes and scores (SSD MobileNetV2).
- `classify`: ImageNet labels of the whole photo, and the appearance features of a crop
  (MobileNetV2's penultimate layer) that pets are told apart by.
- `clip`: a user's CLIP-style image and text encoders.
- `tables`: the rows these write, each in a table of its own, keyed by content hash.
- `stage`: the pass of `roost index` that runs them over every photo that lacks their rows.
"""
