#!/usr/bin/python3
"""Kills watched processes at a chosen phase of each monitor's poll schedule, so that
every monitor gets the same lead (time from the crossing to its next poll).

  phase_kill.py LEAD_S INTERVAL_S REF:PID [REF:PID ...]

REF is the wall time (s) of one poll of that monitor; its polls are REF + k*INTERVAL.
For each target the next poll P with P - LEAD at least 50 ms from now is chosen and the
process is sent SIGTERM at P - LEAD (targets in time order, each on its own time).
Prints one line per target, in argument order: "T0 P" (wall seconds: the kill, the poll
it precedes).
"""
import math, os, signal, sys, time

MARGIN_S = 0.05


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    lead, iv = float(sys.argv[1]), float(sys.argv[2])
    if not (0 <= lead < iv) or iv <= 0:
        sys.exit("phase_kill.py: need 0 <= LEAD < INTERVAL")
    now = time.time()
    plan = []
    for i, arg in enumerate(sys.argv[3:]):
        ref, pid = arg.split(":")
        ref, pid = float(ref), int(pid)
        k = math.ceil((now + MARGIN_S + lead - ref) / iv)
        poll = ref + k * iv
        plan.append((poll - lead, poll, pid, i))
    out = [None] * len(plan)
    for at, poll, pid, i in sorted(plan):
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        t0 = time.time()
        os.kill(pid, signal.SIGTERM)
        out[i] = "%.6f %.6f" % (t0, poll)
    print("\n".join(out))


if __name__ == "__main__":
    main()
