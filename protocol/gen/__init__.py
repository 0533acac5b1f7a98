"""Generated from protocol/roost.proto by scripts/gen-protos; do not edit."""
