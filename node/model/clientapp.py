"""The Flower ClientApp this device's SuperNode runs: its part of a family round.

It reads this device's library through the node config the SuperNode was started with
(`home`, `device`, `two-device-consent`). In the fit step it trains from the family's model on
this device's confirmed faces and hands `node.model.update`'s sums to SecAgg+ (`secaggplus_mod`
masks them before they leave); in the evaluate step it validates the new family model on its
own labels and adopts it or keeps the one it has (`node.model.store`). A copy of the last
contribution stays on the device (`<library>/model/last-contribution.npz`): what this device
added, for checking the aggregate, and `last-fit.json`, the memory the fit took; neither is
ever sent.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import numpy as np
from flwr.app import Context, Message
from flwr.app.message_type import MessageType
from flwr.client import Client, ClientApp, NumPyClient
from flwr.client.mod import secaggplus_mod
from flwr.clientapp.typing import ClientAppCallable
from flwr.common import NDArrays, Scalar
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS

from node.files import write_atomic
from node.library.store import Library, LibraryBusy
from node.model.local import contribute, labeled_faces, validate
from node.model.personal import PersonalModel
from node.model.store import ModelStore
from node.model.update import pack
from node.people.state import refresh
from node.settings import Home

log = logging.getLogger("roost.model")
LAST_CONTRIBUTION = "last-contribution.npz"


class FamilyClient(NumPyClient):
    def __init__(self, home: Home, device: str) -> None:
        self.home = home
        self.device = device

    def _library(self) -> Library:
        return Library.open(self.home.library)

    def fit(
        self, parameters: NDArrays, config: dict[str, Scalar]
    ) -> tuple[NDArrays, int, dict[str, Scalar]]:
        model = PersonalModel.from_bytes(parameters[0].tobytes())
        subjects = [str(s) for s in json.loads(str(config["subjects"]))]
        library = self._library()
        before = _rss_mb()
        arrays = pack(contribute(model, labeled_faces(library), subjects))
        out = io.BytesIO()
        np.savez(out, *arrays)
        write_atomic(library.root / "model" / LAST_CONTRIBUTION, out.getvalue())
        # Memory is measured where training runs, in this process: its resident set when the
        # fit began and its high-water mark after training (VmHWM: this process image's own
        # peak; ru_maxrss would include the parent's before exec), torch's import included.
        memory = {"rss_at_fit_mb": round(before, 1), "peak_rss_mb": round(_peak_mb(), 1)}
        write_atomic(library.root / "model" / "last-fit.json", json.dumps(memory).encode())
        return arrays, 1, {}  # every device weighs 1: the aggregate is a plain sum

    def evaluate(
        self, parameters: NDArrays, config: dict[str, Scalar]
    ) -> tuple[float, int, dict[str, Scalar]]:
        model = PersonalModel.from_bytes(parameters[0].tobytes())
        library = self._library()
        faces = labeled_faces(library)
        adopted = ModelStore(library.root).offer(model, lambda m: validate(m, faces))
        if adopted:
            _refresh_when_free(self.home)
        checked = validate(model, faces)
        return 0.0, 1, {"device": self.device, "adopted": int(adopted), **checked}


def _rss_mb() -> float:
    """This process's resident set now (Linux), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """This process's peak resident set so far (Linux VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _refresh_when_free(home: Home) -> None:
    """Materialise the people state with the new model under the labels lock, which every
    holder keeps for about one refresh; if it stays busy past the bounded wait, the next
    refresh follows the model (readers compute it meanwhile)."""
    library = Library.open(home.library)
    try:
        with library.labels_lock():
            refresh(library)
    except LibraryBusy:
        log.info("library busy; the people state follows the model on its next refresh")


def secure_or_consented(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
    """Fit messages go through SecAgg+; a fit without it (a 2-device round) only where this
    device consented to the coordinator seeing its contribution."""
    if (
        msg.metadata.message_type != MessageType.TRAIN
        or RECORD_KEY_CONFIGS in msg.content.config_records
    ):
        return secaggplus_mod(msg, context, call_next)
    if not bool(context.node_config.get("two-device-consent", False)):
        raise PermissionError("this device has not consented to rounds without secure aggregation")
    return call_next(msg, context)


def _client(context: Context) -> Client:
    home = Home(Path(str(context.node_config["home"])))
    return FamilyClient(home, str(context.node_config["device"])).to_client()


app = ClientApp(client_fn=_client, mods=[secure_or_consented])
