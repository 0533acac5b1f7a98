"""`roost family`: create a family, invite and join devices, list and revoke them, back up and
restore the family CA key."""

from __future__ import annotations

import argparse
import datetime
import getpass
import socket
import sys
from pathlib import Path

from node.cli.commands import command
from node.cli.common import print_json
from node.family import FamilyError, backup
from node.family import identity as identity_files
from node.family.directory import DeviceRecord, Directory
from node.family.invites import InviteBook
from node.family.keys import PLAIN_WARNING, Protection
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.address import join
from node.peer.join import join as join_family
from node.running import running_node
from node.settings import Home
from protocol.identity import IdentityError, id_fingerprint, key_fingerprint
from protocol.pairing import InviteCode

INVITE_SECONDS = 600
MIN_ID_PREFIX = 4


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    family = command(sub, "family")
    commands = family.add_subparsers(dest="family_command", metavar="COMMAND", required=True)

    create = commands.add_parser("create", help="start a new family with this device as admin")
    create.add_argument("name", metavar="NAME", help="the family's name")
    _add_common(create, device_name=True)
    create.set_defaults(run=run_create)

    invite = commands.add_parser(
        "invite", help="print a one-time code for a new device (needs `roost node start`)"
    )
    invite.add_argument(
        "--expires-in",
        type=int,
        default=INVITE_SECONDS,
        metavar="SECONDS",
        help=f"how long the code stays usable (default: {INVITE_SECONDS})",
    )
    _add_common(invite)
    invite.set_defaults(run=run_invite)

    join_ = commands.add_parser("join", help="join a family with a code from `family invite`")
    join_.add_argument("code", metavar="CODE")
    join_.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="the inviter's pairing address, if mDNS cannot find it (`family invite` shows it)",
    )
    join_.add_argument(
        "--discovery-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to look for the inviter over mDNS (default: 10)",
    )
    _add_common(join_, device_name=True)
    join_.set_defaults(run=run_join)

    devices = commands.add_parser("devices", help="list the family devices this one knows")
    _add_common(devices)
    devices.set_defaults(run=run_devices)

    revoke = commands.add_parser("revoke", help="make every family device refuse DEVICE")
    revoke.add_argument(
        "device", metavar="DEVICE", help="a device id, a unique prefix of one, or a unique name"
    )
    _add_common(revoke)
    revoke.set_defaults(run=run_revoke)

    backup_ = commands.add_parser(
        "backup", help="write the family CA key, encrypted under a passphrase, to FILE (admin)"
    )
    backup_.add_argument("file", metavar="FILE", type=Path)
    _add_passphrase(backup_)
    _add_common(backup_)
    backup_.set_defaults(run=run_backup)

    restore = commands.add_parser(
        "restore", help="make this device an admin with the CA key from a `family backup` FILE"
    )
    restore.add_argument("file", metavar="FILE", type=Path)
    _add_passphrase(restore)
    _add_common(restore, device_name=True)
    restore.set_defaults(run=run_restore)


def run_create(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.create_family(
        home.ensure().identity, args.name, args.device_name or _default_device_name()
    )
    if args.json:
        print_json(identity.summary())
    else:
        print(f"Created the family {identity.family_name!r}; {identity.name} is its admin.")
        print(f"This device's id: {identity.device_id}")
        print("Next: `roost node start`, then `roost family invite` for each further device.")
    return 0


def run_invite(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.load(home.identity)
    if not identity.is_admin:
        raise FamilyError(
            "only an admin device (one that holds the family CA key: the device that created "
            "the family, or one restored with `roost family restore`) can invite"
        )
    if not 1 <= args.expires_in <= 24 * 3600:
        raise FamilyError("--expires-in must be between 1 second and 24 hours")
    node = running_node(home)
    if node is None or node.pairing_port is None:
        raise FamilyError(
            "no node is running for this home; start it with `roost node start` (it answers "
            "the new device) and run `roost family invite` again"
        )
    code = InviteCode.generate(key_fingerprint(identity.key.public_key()))
    now = datetime.datetime.now(datetime.UTC)
    expires = now + datetime.timedelta(seconds=args.expires_in)
    InviteBook(home.invites).add(code.secret, expires, now)
    addresses = [join(host, node.pairing_port) for host in node.hosts]
    if args.json:
        print_json({"code": code.encode(), "expires": expires.isoformat(), "addresses": addresses})
    else:
        print(f"Invite code: {code.encode()}")
        print(f"It works once, until {expires.astimezone():%H:%M:%S}.")
        print(f"On the new device: roost family join {code.encode()}")
        print(f"If that cannot find this device, add: --address {addresses[0]}")
    return 0


def run_join(args: argparse.Namespace, home: Home) -> int:
    identity = join_family(
        home.ensure().identity,
        Directory(home.devices),
        args.code,
        args.device_name or _default_device_name(),
        args.address,
        args.discovery_timeout,
    )
    if args.json:
        print_json(identity.summary())
    else:
        print(f"Joined the family {identity.family_name!r} as {identity.name}.")
        print(f"This device's id: {identity.device_id}")
        print("Next: `roost node start`.")
    return 0


def run_devices(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.load(home.identity)
    if identity.protection is Protection.PLAIN:
        print(f"roost: warning: {PLAIN_WARNING}", file=sys.stderr)
    revoked = _revocations(home).current()
    revoked_ids = revoked.device_ids if revoked is not None else frozenset()
    known = Directory(home.devices).all()
    rows = [{"id": identity.device_id, "name": identity.name, "revoked": False, "last_seen": None}]
    for device_id in sorted(known.keys() | revoked_ids, key=lambda i: (_name(known, i), i)):
        if device_id == identity.device_id:
            continue
        record = known.get(device_id)
        seen = record.last_seen if record is not None else None
        rows.append(
            {
                "id": device_id,
                "name": _name(known, device_id),
                "revoked": device_id in revoked_ids,
                "last_seen": seen.isoformat() if seen is not None else None,
            }
        )
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        state = (
            "this device"
            if row["id"] == identity.device_id
            else ("REVOKED" if row["revoked"] else f"last seen {row['last_seen'] or 'never'}")
        )
        print(f"{row['name'] or '?':<24} {row['id']}  {state}")
    return 0


def run_revoke(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.load(home.identity)
    if identity.ca_key is None:
        raise FamilyError("only an admin device (one that holds the family CA key) can revoke")
    known = Directory(home.devices).all()
    known[identity.device_id] = DeviceRecord(identity.device_id, identity.name)
    target = _resolve(args.device, known)
    if target == identity.device_id:
        raise FamilyError("the admin device cannot revoke itself")
    store = _revocations(home)
    current = store.current()
    if current is not None and current.revokes(target):
        serial = current.serial
        message = f"{target} was already revoked."
    else:
        serial = store.revoke(target, identity.ca_key).serial
        message = f"Revoked {target}; family devices refuse it as they get list {serial}."
    if args.json:
        print_json({"revoked": target, "serial": serial})
    else:
        print(message)
    return 0


def run_backup(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.load(home.identity)
    if not identity.is_admin:
        raise FamilyError(
            "only an admin device (one that holds the family CA key) can make a backup"
        )
    passphrase = _passphrase(args.passphrase_file, confirm=True)
    backup.write(args.file, identity, passphrase, _revocations(home))
    if args.json:
        print_json({"backup": str(args.file), "family_id": identity.family_id})
    else:
        print(f"Wrote the family CA key, encrypted, to {args.file}.")
        print("Keep it and its passphrase off this device; `roost family restore` brings")
        print("the family's admin back on another device if this one is lost.")
    return 0


def run_restore(args: argparse.Namespace, home: Home) -> int:
    passphrase = _passphrase(args.passphrase_file, confirm=False)
    identity = backup.restore(
        home.ensure().identity,
        args.file,
        passphrase,
        args.device_name or _default_device_name(),
    )
    if args.json:
        print_json({**identity.summary(), "admin": identity.is_admin})
    else:
        print(f"{identity.name} is now an admin of the family {identity.family_name!r}.")
        print("It can invite (with `roost node start` running) and revoke; revoke the lost")
        print("admin device if it may be in someone else's hands.")
    return 0


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    """From `--passphrase-file` (its first line), else typed twice (once to restore)."""
    if path is not None:
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise FamilyError(f"cannot read {path}: {exc}") from exc
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        raise FamilyError("not at a terminal: give the passphrase with --passphrase-file FILE")
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("Again: ") != passphrase:
        raise FamilyError("the two passphrases differ")
    return passphrase


def _add_passphrase(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="read the passphrase from FILE's first line instead of asking for it",
    )


def _resolve(text: str, known: dict[str, DeviceRecord]) -> str:
    """A device id from an id, a unique id prefix, or a unique name."""
    wanted = text.strip()
    try:
        id_fingerprint(wanted)
        return wanted.upper()  # a whole id, known here or not
    except IdentityError:
        pass
    by_prefix = {i for i in known if len(wanted) >= MIN_ID_PREFIX and i.startswith(wanted.upper())}
    by_name = {i for i, record in known.items() if record.name.casefold() == wanted.casefold()}
    matches = by_prefix | by_name
    if not matches:
        raise FamilyError(f"no known device is called or starts with {text!r}")
    if len(matches) > 1:
        raise FamilyError(f"{text!r} matches {len(matches)} devices; give more of the id")
    return matches.pop()


def _name(known: dict[str, DeviceRecord], device_id: str) -> str:
    record = known.get(device_id)
    return record.name if record is not None else ""


def _revocations(home: Home) -> RevocationStore:
    ca = identity_files.load(home.identity).ca_certificate
    return RevocationStore(home.identity / REVOCATION_FILE, ca)


def _default_device_name() -> str:
    return socket.gethostname()[:64] or "device"


def _add_common(parser: argparse.ArgumentParser, *, device_name: bool = False) -> None:
    if device_name:
        parser.add_argument(
            "--device-name",
            metavar="NAME",
            help="how family members see this device (default: the host name)",
        )
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
