"""Interop check: the unchanged Python client `librouteros` against routeros-sim.

usage: librouteros_check.py HOST PORT LEGACY_PORT USER PASSWORD
PORT serves RouterOS 7 behaviour (plain login, !empty); LEGACY_PORT emulates RouterOS < 6.43.
"""

import sys

from librouteros import connect
from librouteros.exceptions import TrapError
from librouteros.login import token
from librouteros.query import Key

NAME = "interop-librouteros"


def check(what, condition, detail=""):
    print(f"  {'ok ' if condition else 'BAD'} {what}{': ' + str(detail) if detail and not condition else ''}")
    if not condition:
        raise SystemExit(1)


def main():
    host, port, legacy_port, user, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    api = connect(host=host, username=user, password=password, port=port, timeout=15)
    check("log in (plain)", True)

    profiles = {p["name"]: p.get("rate-limit") for p in api.path("ppp", "profile")}
    check("list profiles", profiles.get("Premium") == "25M/50M" and "Basic" in profiles, profiles)

    secrets = api.path("ppp", "secret")
    new_id = secrets.add(name=NAME, password="Rahasia123", service="pppoe", profile="Basic", comment="Interop Test")
    check("add a secret", new_id.startswith("*"), new_id)

    secrets.update(**{".id": new_id, "profile": "Premium"})
    name, profile, item_id = Key("name"), Key("profile"), Key(".id")
    rows = list(secrets.select(item_id, name, profile).where(name == NAME))
    check("set its profile, print it by query", rows == [{".id": new_id, "name": NAME, "profile": "Premium"}], rows)

    active = api.path("ppp", "active")
    sessions = list(active.select(item_id, name).where(name == "john123"))
    check("find the active session", len(sessions) == 1, sessions)
    active.remove(sessions[0][".id"])
    left = list(active.select(name).where(name == "john123"))
    check("kick it (/ppp/active/remove)", left == [], left)

    secrets.remove(new_id)
    left = list(secrets.select(name).where(name == NAME))
    check("remove the secret", left == [], left)

    try:
        secrets.add(name="jane456", password="Whatever123")
        check("duplicate add is refused", False, "no trap")
    except TrapError as e:
        check("duplicate add is refused", "already exists" in e.message, e.message)
    api.close()

    legacy = connect(host=host, username=user, password=password, port=legacy_port, timeout=15, login_method=token)
    identity = list(legacy.path("system", "identity"))
    check("log in (legacy MD5 challenge)", identity and identity[0].get("name"), identity)
    legacy.close()


if __name__ == "__main__":
    main()
