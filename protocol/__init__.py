"""Everything two Roost devices must agree on, and nothing else."""
