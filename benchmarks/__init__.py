"""Benchmarks on real photos. Each prints one JSON object on its last line."""
