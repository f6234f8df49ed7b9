#!/usr/bin/env python3
"""Round trips to PostgreSQL in an strace of the server (bench/run.sh, `traced_round_trips`).

Reads the per-thread files of `strace -ff -ttt -yy -o PREFIX -p SERVER` and prints how many
round trips the server made to the database on PORT: per connection, a send after data was
received (or the connection's first send) starts one; sends before the next receive belong to
the same trip (statements pipelined, `BEGIN` sent ahead of the first statement). A receive
that found nothing (`EAGAIN`) is not a receive. The server's background work (the changes
watch, the after-commit refresh of measures) is counted with the requests; run.sh takes an
idle baseline away.

Usage: round_trips.py PORT FILE...
"""

import re
import sys

SENDS = {"sendto", "sendmsg", "write", "writev"}
RECEIVES = {"recvfrom", "recvmsg", "read", "readv"}
# 1733234567.123456 sendto(12<TCP:[127.0.0.1:40000->127.0.0.1:5432]>, ...) = 85
LINE = re.compile(
    r"^(?P<time>\d+\.\d+) (?P<call>\w+)\((?P<fd>\d+)<TCP:\[[^\]]*->[^\]]*:(?P<port>\d+)\]>"
    r".*\)\s+=\s+(?P<result>-?\d+)"
)


def events(port, files):
    found = []
    for name in files:
        with open(name, errors="replace") as f:
            for line in f:
                m = LINE.match(line)
                if not m or m["port"] != port:
                    continue
                call = m["call"]
                if call not in SENDS and call not in RECEIVES:
                    continue
                if int(m["result"]) <= 0:
                    continue
                found.append((float(m["time"]), m["fd"], call in SENDS))
    found.sort()
    return found


def round_trips(found):
    trips = 0
    sending = {}
    for _, fd, is_send in found:
        if is_send:
            if not sending.get(fd):
                trips += 1
            sending[fd] = True
        else:
            sending[fd] = False
    return trips


def main():
    port, files = sys.argv[1], sys.argv[2:]
    print(round_trips(events(port, files)))


if __name__ == "__main__":
    main()
