"""Models for what is not a face: detection, classification, image–text embedding.

- `registry`: the models Roost knows, each pinned (file sizes and sha256, where it comes from,
  its licence) and what it enables.
- `store`: where installed models live, and `fetch` / `import` / `list` (`roost models`).
- `runtime`: the one model interface, on ONNX Runtime's CPU provider: a session made on first
  use, its inputs declared and checked, extra outputs exposed without ONNX tooling.

A missing model is never replaced by random weights: stages that need it are skipped with a
note saying how to install it.
"""
