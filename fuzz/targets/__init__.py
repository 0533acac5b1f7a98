"""One module per fuzz target; see `fuzz`. `NAMES` is the order `scripts/fuzz` runs them in."""

NAMES = (
    "query_dict",
    "query_text",
    "invite_code",
    "revocation_list",
    "certificate",
    "certificate_request",
    "exif",
    "hello",
    "pair",
    "label_batch",
    "version_vector",
)
