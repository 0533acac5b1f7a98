"""The family's federated-learning coordinator (Flower ServerApp and SuperLink supervision)."""
