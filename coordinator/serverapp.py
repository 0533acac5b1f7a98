"""The family's Flower ServerApp: one round of the personal model per run.

The strategy sends every online device the current family model and the round's subject order
(the coordinator's copy of the family's label registry, people only), receives the secure
aggregate of their contributions (`node.model.update`), turns it into the next model, and sends
that back in the evaluate step, where each device validates it on its own labels and keeps or
refuses it. With 3 or more devices the fit step runs SecAgg+: the coordinator sees only the
sum. With exactly 2 it would learn the other device's contribution by subtracting its own, so a
2-device round runs only when the coordinator and both devices consented (plain aggregation,
recorded as `secure_aggregation: false`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from flwr.common import (
    Context,
    EvaluateRes,
    FitRes,
    Parameters,
    Scalar,
    ndarrays_to_parameters,
    parameters_to_ndarrays,
)
from flwr.server import Grid, LegacyContext, ServerApp, ServerConfig
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

from coordinator.family import FamilyState
from coordinator.grid import PromptGrid
from node.library.store import Library
from node.model.personal import PersonalModel
from node.model.update import CLIP, combine, unpack
from node.people.state import read_state
from protocol.labels import Kind

app = ServerApp()


def model_parameters(model: PersonalModel) -> Parameters:
    """A model travels as its file's bytes in one uint8 array."""
    return ndarrays_to_parameters([np.frombuffer(model.to_bytes(), np.uint8)])


def family_subjects(home: Path) -> tuple[list[str], int]:
    """The round's people (ids from the label registry, in a fixed order) and descriptor size."""
    library = Library.open(home / "library")
    labels = read_state(library).labels
    people = sorted(s.id for s in labels.subjects.values() if s.kind == Kind.PERSON)
    return people, int(library.faces.schema.field("embedding").type.list_size)


class FamilyStrategy(FedAvg):
    def __init__(self, state: FamilyState, number: int, devices: int, secure: bool,
                 subjects: list[str], previous: PersonalModel) -> None:  # fmt: skip
        super().__init__(
            fraction_fit=1.0,
            fraction_evaluate=1.0,
            min_fit_clients=devices,
            min_evaluate_clients=devices,
            min_available_clients=devices,
            initial_parameters=model_parameters(previous),
            on_fit_config_fn=lambda _: {"subjects": json.dumps(subjects), "round": number},
            accept_failures=False,
        )
        self.state, self.number, self.secure = state, number, secure
        self.subjects, self.previous = subjects, previous
        self.model: PersonalModel | None = None

    def aggregate_fit(
        self,
        server_round: int,
        results: list[tuple[ClientProxy, FitRes]],
        failures: list[Any],
    ) -> tuple[Parameters | None, dict[str, Scalar]]:
        if failures or not results:
            raise RuntimeError(f"{len(failures)} devices failed the round")
        if self.secure:
            # SecAgg+ put the same unmasked aggregate in every result: the mean of equal-weight
            # contributions, so times their number it is the sum.
            mean = parameters_to_ndarrays(results[0][1].parameters)
            total = [a * len(results) for a in mean]
        else:
            each = [parameters_to_ndarrays(r.parameters) for _, r in results]
            total = [np.sum(arrays, axis=0) for arrays in zip(*each, strict=True)]
        participants = sorted(
            self.state.device_of(int(proxy.cid)) or f"node-{proxy.cid}" for proxy, _ in results
        )
        self.model = combine(
            unpack(total), self.previous, self.subjects, participants, self.number, self.secure
        )
        self.state.save_global(self.model)
        self.state.save_round(self.number, {
            "round": self.number, "version": self.model.version, "participants": participants,
            "secure_aggregation": self.secure, "subjects": len(self.model.known()),
            "aggregated_at": time.time(),
        })  # fmt: skip
        return model_parameters(self.model), {}

    def configure_evaluate(
        self, server_round: int, parameters: Parameters, client_manager: Any
    ) -> Any:
        pairs = super().configure_evaluate(server_round, parameters, client_manager)
        for _, ins in pairs:
            ins.config["round"] = self.number
        return pairs

    def aggregate_evaluate(
        self,
        server_round: int,
        results: list[tuple[ClientProxy, EvaluateRes]],
        failures: list[Any],
    ) -> tuple[float | None, dict[str, Scalar]]:
        adopted = {
            str(r.metrics.get("device")): {k: v for k, v in r.metrics.items() if k != "device"}
            for _, r in results
        }
        self.state.save_round(self.number, {"devices": adopted, "evaluate_failures": len(failures)})
        return 0.0, {}


@app.main()
def main(grid: Grid, context: Context) -> None:
    config = context.run_config
    home = Path(str(config["coordinator-home"]))
    state = FamilyState(home / "coordinator")
    number, devices, secure = int(config["round"]), int(config["devices"]), bool(config["secure"])
    subjects, dim = family_subjects(home)
    previous = state.global_model() or PersonalModel.initial(dim)
    strategy = FamilyStrategy(state, number, devices, secure, subjects, previous)
    timeout = float(config["timeout"])
    if secure:
        fit = SecAggPlusWorkflow(
            num_shares=devices,
            reconstruction_threshold=max(2, (2 * devices + 2) // 3),
            clipping_range=CLIP,
            max_weight=1.0,
            timeout=timeout,
        )
        workflow = DefaultWorkflow(fit_workflow=fit)
    else:
        workflow = DefaultWorkflow()
    rounds = ServerConfig(num_rounds=1, round_timeout=timeout)
    legacy = LegacyContext(context=context, config=rounds, strategy=strategy)
    workflow(PromptGrid(grid), legacy)
    if strategy.model is None:
        raise RuntimeError("the round ended without an aggregate")
