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
    "labels_push",
    "search_find",
    "search_reply",
    "originals_fetch",
    "admin_renew",
    "fleet_preamble",
)
