"""The family's personal face model: learned from every device's labels, shared by Flower.

In data-flow order:

- `personal`: the model itself (a residual adapter over the stored descriptors, one prototype
  per family person, a calibration) and its file format.
- `calibration`: how far a face may be from a prototype before "nobody we know" is likelier.
- `train`: fine-tuning the adapter on this device's confirmed faces (numpy, hand-written
  gradients: torch would cost the training process more memory than the whole budget).
- `update`: what one device contributes to a round (sums and counts) and how the coordinator
  turns the secure-aggregated total into the next model.
- `local`: this device's contribution, read from its library.
- `store`: versioned models on disk, with validation and roll-back.
- `scorer`: the model as a `node.people.scoring.Scorer`.
- `clientapp`: the Flower ClientApp a SuperNode runs on this device.
"""
