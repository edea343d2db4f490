"""Shared by the Python benchmark clients."""


def rss_kib():
    """(VmRSS, VmHWM) of this process in KiB, from /proc/self/status (0, 0 without /proc)."""
    fields = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                fields[name] = value
    except OSError:
        return 0, 0

    def kib(name):
        return int(fields.get(name, "0 kB").split()[0])

    return kib("VmRSS"), kib("VmHWM")
