"""The coordinator: Flower's SuperLink on one always-on family device, and the family's rounds.

- `superlink`: starting and supervising `flower-superlink` on loopback, with TLS under a
  certificate from the family CA and SuperNode authentication on.
- `control`: the SuperLink's Control API through the `flwr` CLI: registering SuperNode keys,
  listing online nodes, starting a run.
- `relay`: the family's only way in: mutual TLS, then the SuperLink.
- `serverapp`: the Flower ServerApp and its strategy (SecAgg+ when 3 or more devices take part).
- `rounds`: one round, start to finish, and the record `roost model round` prints.
- `service`: `roost coordinator start`: all of the above, plus running rounds by itself.
"""
