"""One Roost device: index local media, label it, search it, and serve family peers."""

from node.peer import tls

# Before anything in this process imports grpc: its TLS settings are read once, at import.
tls.pin()
