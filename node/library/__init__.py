"""The node's durable index: LanceDB tables of files, media and faces under the node's home."""
