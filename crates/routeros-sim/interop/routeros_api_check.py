"""Interop check: the unchanged Python client `RouterOS-api` (module routeros_api) against
routeros-sim.

usage: routeros_api_check.py HOST PORT LEGACY_PORT USER PASSWORD
PORT serves RouterOS 7 behaviour (plain login, !empty); LEGACY_PORT emulates RouterOS < 6.43.
"""

import sys

import routeros_api
from routeros_api.exceptions import RouterOsApiCommunicationError

NAME = "interop-routeros-api"


def check(what, condition, detail=""):
    print(f"  {'ok ' if condition else 'BAD'} {what}{': ' + str(detail) if detail and not condition else ''}")
    if not condition:
        raise SystemExit(1)


def main():
    host, port, legacy_port, user, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    pool = routeros_api.RouterOsApiPool(host, username=user, password=password, port=port, plaintext_login=True)
    api = pool.get_api()
    check("log in (plain)", True)

    profiles = {p["name"]: p.get("rate-limit") for p in api.get_resource("/ppp/profile").get()}
    check("list profiles", profiles.get("Premium") == "25M/50M" and "Basic" in profiles, profiles)

    secrets = api.get_resource("/ppp/secret")
    added = secrets.add(name=NAME, password="Rahasia123", service="pppoe", profile="Basic", comment="Interop Test")
    new_id = added.done_message.get("ret", "")
    check("add a secret", new_id.startswith("*"), added.done_message)

    secrets.set(id=new_id, profile="Premium")
    rows = secrets.get(name=NAME)
    check(
        "set its profile, print it by query",
        len(rows) == 1 and rows[0]["profile"] == "Premium" and rows[0]["id"] == new_id,
        rows,
    )

    active = api.get_resource("/ppp/active")
    sessions = active.get(name="john123")
    check("find the active session", len(sessions) == 1, sessions)
    active.remove(id=sessions[0]["id"])
    left = active.get(name="john123")
    check("kick it (/ppp/active/remove)", len(left) == 0, left)

    secrets.remove(id=new_id)
    left = secrets.get(name=NAME)
    check("remove the secret", len(left) == 0, left)

    try:
        secrets.add(name="jane456", password="Whatever123")
        check("duplicate add is refused", False, "no trap")
    except RouterOsApiCommunicationError as e:
        message = e.original_message.decode() if isinstance(e.original_message, bytes) else str(e.original_message)
        check("duplicate add is refused", "already exists" in message, message)
    pool.disconnect()

    # The library's default login is the pre-6.43 challenge.
    legacy_pool = routeros_api.RouterOsApiPool(host, username=user, password=password, port=legacy_port)
    identity = legacy_pool.get_api().get_resource("/system/identity").get()
    check("log in (legacy MD5 challenge)", len(identity) == 1 and identity[0].get("name"), identity)
    legacy_pool.disconnect()


if __name__ == "__main__":
    main()
