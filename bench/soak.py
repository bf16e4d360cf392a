#!/usr/bin/python3
"""The soak behind bench/soak.sh (run that: it puts this in a private mount namespace
and sets the sanitizer options).  For MINUTES, the demo data center (dcmon-sim on
etc/demo/sim.yaml, dcmond on etc/demo/dcmon.yaml, every port a free one, everything in a
private temp dir) with the scenarios of etc/scenarios cycling at --speed K, broken
agents beside it, a bounded trap flood, 20 kill -9 of dcmond (each followed by a
restart), a disk-full interval under the state directory (a small tmpfs) and an SMTP
relay outage; then a drain, a SIGTERM and the checks (docs in bench/soak.sh).

    soak.py --minutes N --build DIR --src DIR

Environment: SPEED (scenario speed, 4), KILLS (20), INTERVAL (1s), TIMEOUT (500ms),
TRAP_BURST (traps per burst, 500), TRAP_EVERY (s between bursts, 10), SEED (random),
DCMON_BENCH_KEEP=1 keeps the temp dir (it is kept anyway on failure).
"""
import argparse
import datetime
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import yaml

PY = "/usr/bin/python3"
PORT_DIR = "/tmp/dcmon-itest-ports"  # the reservations of tests/integration/lib.sh
SCENARIOS = ["utility-outage", "generator-fail-to-start", "cooling-failure", "fire-prealarm",
             "server-down", "leak", "normal"]
STATES = ["ok", "pending", "firing", "resolved"]
SETTLE_S = 20          # after a scenario's last step, before the next one starts
DRAIN_MAX_S = 240      # the drain: bounded
DRAIN_QUIET_S = 15     # nothing queued nor pending for this long = drained
RSS_EVERY_S = 3
STATE_FS_SIZE = "32m"
TRAP_COMMUNITY = "soak-traps"
V3 = dict(user="soakv3", auth="auth-pass-123", priv="priv-pass-456")


def log(msg):
    print("soak: %s" % msg, file=sys.stderr, flush=True)


def env_num(name, default):
    return type(default)(os.environ.get(name, default))


# ---- ports ----------------------------------------------------------------------------

class Ports:
    """Ports free on 127.0.0.1 for TCP and UDP, reserved in lib.sh's reservation
    directory for this process (tests running beside the soak never draw them)."""

    def __init__(self):
        os.makedirs(PORT_DIR, mode=0o1777, exist_ok=True)
        self.held = []

    def _reserve(self, port):
        path = os.path.join(PORT_DIR, str(port))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        self.held.append(path)
        return True

    def take(self):
        for _ in range(400):
            port = random.randrange(20000, 32768)
            socks = [socket.socket(socket.AF_INET, k) for k in (socket.SOCK_STREAM, socket.SOCK_DGRAM)]
            try:
                for s in socks:
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
            if self._reserve(port):
                return port
        raise SystemExit("soak: no free port")

    def release(self):
        for p in self.held:
            try:
                os.unlink(p)
            except OSError:
                pass


# ---- helpers --------------------------------------------------------------------------

def wait_for(seconds, what, fn, proc=None):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if fn():
            return
        if proc is not None and proc.poll() is not None:
            raise SystemExit("soak: %s: the process exited (%s)" % (what, proc.returncode))
        time.sleep(0.2)
    raise SystemExit("soak: timed out after %ss waiting for %s" % (seconds, what))


def read_port(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def proc_status(pid):
    """VmHWM and VmRSS (kB) of pid, or None."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return None
    return out if len(out) == 2 else None


def scenario_seconds(path):
    """Wall seconds of a scenario at speed 1 (its steps, with their accelerations)."""
    with open(path) as f:
        sc = yaml.safe_load(f)

    def secs(v):
        v = str(v)
        return float(v[:-1]) if v.endswith("s") else float(v)
    acc, last, wall = sc.get("acceleration", 1), 0.0, 0.0
    for st in sorted(sc.get("steps", []), key=lambda s: secs(s["at"])):
        at = secs(st["at"])
        wall += (at - last) / acc
        last = at
        acc = st.get("acceleration", acc)
    return wall


def log_time_ms(ts):
    """ts=2024-05-01T10:00:00.123Z -> epoch ms."""
    d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)


class SilentModbus(threading.Thread):
    """A Modbus TCP device that accepts and never answers (reads and drops what it is
    sent); at most 64 connections held, the oldest closed first."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.sock.settimeout(0.5)
        self.stop = False

    def run(self):
        import select
        held = []
        while not self.stop:
            r, _, _ = select.select([self.sock] + held, [], [], 0.5)
            for s in r:
                if s is self.sock:
                    c, _ = self.sock.accept()
                    held.append(c)
                    if len(held) > 64:
                        held.pop(0).close()
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    held.remove(s)
                    s.close()


# ---- the soak -------------------------------------------------------------------------

class Soak:
    def __init__(self, a):
        self.a = a
        self.src, self.build = a.src, a.build
        self.run_s = a.minutes * 60
        self.speed = env_num("SPEED", 4.0)
        self.nkills = env_num("KILLS", 20)
        self.interval = os.environ.get("INTERVAL", "1s")
        self.timeout = os.environ.get("TIMEOUT", "500ms")
        self.trap_burst = env_num("TRAP_BURST", 500)
        self.trap_every = env_num("TRAP_EVERY", 10.0)
        self.seed = env_num("SEED", random.randrange(1 << 30))
        random.seed(self.seed)
        self.T = tempfile.mkdtemp(prefix="dcmon-soak.")
        os.chmod(self.T, 0o755)
        self.state = os.path.join(self.T, "state")
        self.ports = Ports()
        self.procs = []          # (name, Popen) to stop at the end
        self.dcmond = None
        self.runs = []           # per dcmond run: dict(log, start, end, how, rss_end)
        self.kills = []          # wall times of our kill -9
        self.sink_stops = []     # wall times the relay was stopped
        self.rss = []            # (elapsed s, VmHWM kB, VmRSS kB)
        self.unexpected = []     # (run, return code)
        self.traps_sent = 0
        self.scenarios_run = 0
        self.notes = []
        self.mounted = False

    # -- peers ------------------------------------------------------------------------
    def spawn(self, name, argv, **kw):
        out = open(os.path.join(self.T, name + ".log"), "ab")
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=out, cwd=self.T, **kw)
        self.procs.append((name, p))
        return p

    def start_sink(self):
        ready = os.path.join(self.T, "mail", "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        self.sink = self.spawn("sink", [PY, self.src + "/tests/peers/smtp_sink.py", "--port",
                                        str(self.smtp_port), "--dir", self.T + "/mail"])
        wait_for(20, "the SMTP sink", lambda: os.path.exists(ready), self.sink)

    def stop_sink(self):
        self.sink_stops.append(time.time())
        self.sink.terminate()
        self.sink.wait(10)

    def start_script_peer(self, script, mode):
        pf = os.path.join(self.T, "%s-%s.port" % (os.path.basename(script)[:-3], mode))
        p = self.spawn("peer-" + mode, [PY, self.src + "/tests/peers/" + script, pf, mode,
                                        str(self.run_s + 1200)])
        wait_for(15, "peer %s %s" % (script, mode), lambda: read_port(pf) > 0, p)
        return read_port(pf)

    def start_snmpd(self):
        d = os.path.join(self.T, "snmpd")
        os.makedirs(d + "/state", exist_ok=True)
        with open(d + "/snmpd.conf", "w") as f:
            f.write("agentAddress udp:127.0.0.1:%d\nrocommunity public 127.0.0.1\n"
                    'createUser %s SHA-256 "%s" AES "%s"\nrouser %s priv\n'
                    % (self.snmpd_port, V3["user"], V3["auth"], V3["priv"], V3["user"]))
        env = dict(os.environ, SNMPCONFPATH=d + "/state")
        self.snmpd = self.spawn("snmpd", ["snmpd", "-f", "-Lf", d + "/snmpd.log", "-c",
                                          d + "/snmpd.conf", "--persistentDir=" + d + "/state"],
                                env=env)
        self.snmpd_stopped = False

    def start_peers(self):
        self.smtp_port = self.ports.take()
        self.trap_port = self.ports.take()
        self.snmpd_port = self.ports.take()
        self.silent_udp = {}
        for k in ("v2c", "v3"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", self.ports.take()))
            self.silent_udp[k] = s   # held, never read: an agent that never answers
        self.modbus_silent = SilentModbus(self.ports.take())
        self.modbus_silent.start()
        self.bad = {m: self.start_script_peer("snmp_bad_agent.py", m)
                    for m in ("garbage", "truncated", "badtype", "report")}
        self.walk = {m: self.start_script_peer("snmp_walk_peer.py", m) for m in ("loop", "endless")}
        self.start_snmpd()
        self.start_sink()

    # -- configuration ----------------------------------------------------------------
    def write_configs(self):
        demo = self.src + "/etc/demo"
        sim = open(demo + "/sim.yaml").read()
        dcm = open(demo + "/dcmon.yaml").read()
        old = sorted({int(m.group(2)) for m in re.finditer(r"(port: |tcp: \[)(\d+)", sim)})
        pmap = {o: self.ports.take() for o in old}

        def remap(text):
            return re.sub(r"\b\d+\b", lambda m: str(pmap.get(int(m.group(0)), m.group(0))), text)
        sim = remap(sim)
        sim = re.sub(r"control: .*", "control: %s/sim.sock" % self.T, sim)
        sim = re.sub(r"profiles_dir: .*", "profiles_dir: %s/etc/profiles" % self.src, sim)
        sim = re.sub(r"scenarios_dir: .*", "scenarios_dir: %s/etc/scenarios" % self.src, sim)
        sim = re.sub(r"(?m)^  (http|smtp): .*\n", "", sim)
        with open(self.T + "/sim.yaml", "w") as f:
            f.write(sim)

        prof = self.T + "/profiles"
        shutil.copytree(self.src + "/etc/profiles", prof)
        with open(prof + "/soak-walk.yaml", "w") as f:
            f.write("name: soak-walk\ntransport: snmp\npoints:\n"
                    "  - metric: walk_a_count\n    oid: 1.3.6.1.4.1.99999.1.1.1.2\n"
                    "    table: &t {index_label: row, max_rows: 100}\n"
                    "  - metric: walk_b_count\n    oid: 1.3.6.1.4.1.99999.1.1.1.3\n    table: *t\n")
        dcm = remap(dcm)
        smtp = ("  smtp: {host: 127.0.0.1, port: %d, starttls: \"off\", from: dcmon@demo.example,"
                " timeout: 5s, retry_min: 1s, retry_max: 10s, rate_period: 2m}\n"
                "  snmp_trap: {listen: 127.0.0.1, port: %d, communities: [%s], source_rate: 50,"
                " repoll_min_interval: 5s, summary_interval: 30s}\n"
                "  state_dir: %s\n" % (self.smtp_port, self.trap_port, TRAP_COMMUNITY, self.state))
        dcm = re.sub(r"(?m)^  smtp: .*\n", lambda _: smtp, dcm)
        dcm = re.sub(r"(?m)^  http: .*\n", "", dcm)
        dcm = re.sub(r"data_dir: .*", "data_dir: %s/data" % self.T, dcm)
        dcm = re.sub(r"socket: .*", "socket: %s/dcmon.sock" % self.T, dcm)
        dcm = re.sub(r"profiles_dir: .*", "profiles_dir: %s" % prof, dcm)
        dcm = re.sub(r"interval: 2s", "interval: %s" % self.interval, dcm)
        dcm = re.sub(r"timeout: 1s", "timeout: %s" % self.timeout, dcm)
        dcm = dcm.replace("\nrules:\n", "\n" + self.broken_devices() + "\nrules:\n", 1)
        with open(self.T + "/dcmon.yaml", "w") as f:
            f.write(dcm)
        os.chmod(self.T + "/dcmon.yaml", 0o600)

    def broken_devices(self):
        srv = ("  - {id: %s, kind: server, host: 127.0.0.1, profile: %s,\n"
               "     snmp: {port: %d, timeout: 300ms, retries: %d%s}}\n")
        v3 = (", version: 3, user: %s, auth_proto: sha256, auth_pass: \"%s\", priv_proto: aes,"
              " priv_pass: \"%s\"" % (V3["user"], V3["auth"], V3["priv"]))
        out = "  # ---- broken agents (bench/soak.sh) ----\n"
        out += srv % ("broken-silent-v2c", "ucd-snmp", self.silent_udp["v2c"].getsockname()[1], 1, "")
        out += srv % ("broken-silent-v3", "ucd-snmp", self.silent_udp["v3"].getsockname()[1], 1, v3)
        out += srv % ("broken-v3-stopped", "ucd-snmp", self.snmpd_port, 1, v3)
        for m, p in self.bad.items():
            out += srv % ("broken-" + m, "ucd-snmp", p, 0, "")
        for m, p in self.walk.items():
            out += srv % ("broken-walk-" + m, "soak-walk", p, 0, ", max_repetitions: 20")
        out += ("  - {id: broken-modbus-silent, kind: leak, profile: leak-rle-ld5000,\n"
                "     location: {site: dc1, room: hall-2}, modbus: {host: 127.0.0.1, port: %d}}\n"
                % self.modbus_silent.sock.getsockname()[1])
        return out

    # -- simulator and daemon ---------------------------------------------------------
    def sim_cmd(self, *args):
        return subprocess.run([self.build + "/sim/dcmon-sim", "-c", self.T + "/sim.yaml"] + list(args),
                              capture_output=True, text=True, timeout=20)

    def start_sim(self):
        out = open(self.T + "/sim.out", "wb")
        self.sim = self.spawn("sim", [self.build + "/sim/dcmon-sim", "-c", self.T + "/sim.yaml", "serve"],
                              stdout=out)
        wait_for(30, "dcmon-sim", lambda: b"dcmon-sim: serving" in open(self.T + "/sim.out", "rb").read(),
                 self.sim)

    def api(self, path):
        try:
            r = subprocess.run(["curl", "-sf", "-m", "5", "--unix-socket", self.T + "/dcmon.sock",
                                "http://dcmond" + path], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0 or not r.stdout:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def start_dcmond(self):
        n = len(self.runs)
        path = "%s/dcmond.%02d.log" % (self.T, n)
        out = open(path, "ab")
        self.dcmond = subprocess.Popen([self.build + "/dcmond", "-c", self.T + "/dcmon.yaml"],
                                       stdout=out, stderr=out, cwd=self.T)
        self.runs.append(dict(log=path, start=time.time(), end=None, how=None, hwm=0, pid=self.dcmond.pid))
        self.healthy = False

    def check_health(self):
        if not self.healthy and self.api("/api/v1/health") is not None:
            self.healthy = True
            self.healthy_at = time.monotonic()
        return self.healthy

    def end_run(self, how, rc):
        r = self.runs[-1]
        r.update(end=time.time(), how=how, rc=rc)

    def kill9(self):
        st = proc_status(self.dcmond.pid)
        if st:
            self.runs[-1]["hwm"] = max(self.runs[-1]["hwm"], st["VmHWM"])
        self.kills.append(time.time())
        self.dcmond.send_signal(signal.SIGKILL)
        rc = self.dcmond.wait(30)
        self.end_run("kill", rc)
        if rc != -signal.SIGKILL:
            self.unexpected.append((len(self.runs) - 1, rc))
        log("kill -9 #%d (run %d, VmHWM %s kB)" % (len(self.kills), len(self.runs) - 1, self.runs[-1]["hwm"]))
        self.start_dcmond()

    def watch_dcmond(self):
        rc = self.dcmond.poll()
        if rc is None:
            return
        self.end_run("exit", rc)
        self.unexpected.append((len(self.runs) - 1, rc))
        log("dcmond exited by itself with %s (log %s); restarted" % (rc, self.runs[-1]["log"]))
        self.start_dcmond()

    def sample_rss(self, elapsed):
        st = proc_status(self.dcmond.pid)
        if st:
            self.rss.append((elapsed, st["VmHWM"], st["VmRSS"]))
            self.runs[-1]["hwm"] = max(self.runs[-1]["hwm"], st["VmHWM"])

    # -- disk full --------------------------------------------------------------------
    def mount_state(self):
        os.makedirs(self.state, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % STATE_FS_SIZE, "tmpfs",
                        self.state], check=True)
        self.mounted = True

    def fill_state(self):
        with open(self.state + "/.fill", "wb") as f:
            block = b"\0" * 65536
            try:
                for _ in range(100000):  # bounded: 6 GB, far above the file system's size
                    f.write(block)
                    f.flush()
            except OSError:
                pass
        vfs = os.statvfs(self.state)
        if vfs.f_bavail != 0:
            self.notes.append("state fs not full after filling: %d blocks left" % vfs.f_bavail)

    def free_state(self):
        os.unlink(self.state + "/.fill")

    def state_recovered(self):
        doc = self.api("/api/v1/metrics?device=dcmond&name=state_store_state")
        held = self.api("/api/v1/metrics?device=dcmond&name=state_held_count")
        if not doc or not held:
            return False
        vals = [m.get("value") for m in doc.get("metrics", []) + held.get("metrics", [])]
        return len(vals) >= 4 and all(v == 0 for v in vals)

    # -- the plan ---------------------------------------------------------------------
    def plan(self):
        R = self.run_s
        self.df_start = 0.30 * R
        self.df_end = self.df_start + min(90, max(30, 0.08 * R))
        self.relay_stop = (self.df_start + self.df_end) / 2
        self.relay_start = self.relay_stop + min(120, max(30, 0.10 * R))
        warm = max(15, 0.04 * R)
        # kills go where the disk is not full: before it fills (5 s margin) and after
        # it is free again (15 s, and at run time only once both files were written back)
        allowed = [(warm, self.df_start - 5), (self.df_end + 15, R - 10)]
        total = sum(b - a for a, b in allowed)
        slot = total / self.nkills
        self.kill_plan = []
        for i in range(self.nkills):
            x = (i + random.uniform(0.1, 0.9)) * slot
            for a, b in allowed:
                if x <= b - a:
                    self.kill_plan.append(a + x)
                    break
                x -= b - a

    def trap_burst_send(self, i):
        sources = [("127.0.0.1", TRAP_COMMUNITY, "1.3.6.1.2.1.33.2.0.1"),   # ups-1 "on battery"
                   ("127.0.1.11", TRAP_COMMUNITY, "1.3.6.1.6.3.1.1.5.3"),   # acme-web-1 linkDown
                   ("127.0.0.99", TRAP_COMMUNITY, "1.3.6.1.6.3.1.1.5.1"),   # no device's address
                   ("127.0.0.1", "wrong-community", "1.3.6.1.6.3.1.1.5.1")]
        src, comm, oid = sources[i % len(sources)]
        return subprocess.Popen([PY, self.src + "/tests/peers/trap_flood.py", src, str(self.trap_port),
                                 str(self.trap_burst), comm, oid],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def run(self):
        self.mount_state()
        self.start_peers()
        self.write_configs()
        chk = subprocess.run([self.build + "/dcmond", "--check-config", self.T + "/dcmon.yaml"],
                             capture_output=True, text=True)
        if chk.returncode != 0:
            raise SystemExit("soak: config rejected:\n" + chk.stderr)
        self.start_sim()
        self.start_dcmond()
        wait_for(60, "dcmond's API", self.check_health, self.dcmond)
        self.plan()
        durations = {s: scenario_seconds("%s/etc/scenarios/%s.yaml" % (self.src, s)) / self.speed
                     for s in SCENARIOS}
        log("T=%s seed=%d speed=%g; disk full %.0f-%.0fs, relay down %.0f-%.0fs, kills at %s"
            % (self.T, self.seed, self.speed, self.df_start, self.df_end, self.relay_stop, self.relay_start,
               " ".join("%.0f" % k for k in self.kill_plan)))
        t0 = time.monotonic()
        next_scen = next_rss = next_trap = next_snmpd = 0.0
        scen_i = trap_i = snmpd_i = 0
        kill_i = 0
        disk = "before"      # before -> full -> recovering -> done
        relay = "up"         # up -> down -> back
        trap_proc = None
        while True:
            el = time.monotonic() - t0
            if el >= self.run_s and kill_i >= len(self.kill_plan) and disk == "done":
                break
            if el >= self.run_s + 120:   # kills that waited for the disk may not wait longer
                self.notes.append("%d planned kills not done" % (len(self.kill_plan) - kill_i))
                break
            self.watch_dcmond()
            if el >= next_rss:
                self.sample_rss(el)
                next_rss = el + RSS_EVERY_S
            if el >= next_scen and el < self.run_s:
                name = SCENARIOS[scen_i % len(SCENARIOS)]
                r = self.sim_cmd("run", name, "--speed", "%g" % self.speed)
                if r.returncode != 0:
                    self.notes.append("dcmon-sim run %s: %s" % (name, r.stderr.strip()))
                scen_i += 1
                next_scen = el + durations[name] + SETTLE_S
            if trap_proc is not None and trap_proc.poll() is not None:
                m = re.search(r"sent=(\d+)", trap_proc.stdout.read() or "")
                self.traps_sent += int(m.group(1)) if m else 0
                trap_proc = None
            if trap_proc is None and el >= next_trap and el < self.run_s:
                trap_proc = self.trap_burst_send(trap_i)
                trap_i += 1
                next_trap = el + self.trap_every
            if el >= next_snmpd and el < self.run_s:
                self.toggle_snmpd(snmpd_i)
                snmpd_i += 1
                next_snmpd = el + (15 if self.snmpd_stopped else 30)
            if disk == "before" and el >= self.df_start:
                self.fill_state()
                disk = "full"
                log("state disk full at %.0fs" % el)
            elif disk == "full" and el >= self.df_end:
                self.free_state()
                disk = "recovering"
                log("state disk freed at %.0fs" % el)
            elif disk == "recovering" and self.healthy and self.state_recovered():
                disk = "done"
                self.recovered_at = el
                log("alerts.db and notify.db written again by %.0fs" % el)
            if relay == "up" and el >= self.relay_stop:
                self.stop_sink()
                relay = "down"
                log("relay stopped at %.0fs" % el)
            elif relay == "down" and el >= self.relay_start:
                self.start_sink()
                relay = "back"
                log("relay started again at %.0fs" % el)
            self.check_health()
            if (kill_i < len(self.kill_plan) and el >= self.kill_plan[kill_i] and disk in ("before", "done")
                    and not (disk == "before" and el >= self.df_start - 5)
                    and self.healthy and time.monotonic() - self.healthy_at >= 3):
                self.kill9()
                kill_i += 1
            time.sleep(0.25)
        self.chaos_s = time.monotonic() - t0
        if trap_proc is not None:
            trap_proc.wait(30)
        if self.snmpd_stopped:
            self.snmpd.send_signal(signal.SIGCONT)
            self.snmpd_stopped = False
        self.scenarios_run = scen_i
        self.drain()
        self.stop_dcmond()

    def toggle_snmpd(self, i):
        """The v3 agent: stopped (silent) for 15 s every 45 s; every third time it is
        restarted instead (engineBoots grows)."""
        if self.snmpd_stopped:
            self.snmpd.send_signal(signal.SIGCONT)
            self.snmpd_stopped = False
        elif i % 6 == 4:
            self.snmpd.terminate()
            self.snmpd.wait(10)
            self.start_snmpd()
        else:
            self.snmpd.send_signal(signal.SIGSTOP)
            self.snmpd_stopped = True

    def drain(self):
        """Everything back to normal, then wait (bounded) until nothing is queued or
        pending for DRAIN_QUIET_S."""
        self.sim_cmd("run", "normal")
        t0 = time.monotonic()
        quiet_since = None
        self.drained = False
        while time.monotonic() - t0 < DRAIN_MAX_S:
            self.watch_dcmond()
            self.check_health()
            self.sample_rss(time.monotonic() - t0 + self.chaos_s)
            doc = self.api("/api/v1/notifications?limit=1")
            c = doc.get("counts", {}) if doc else None
            if c is not None and c.get("queued") == 0 and c.get("pending") == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= DRAIN_QUIET_S:
                    self.drained = True
                    break
            else:
                quiet_since = None
            time.sleep(1)
        self.drain_s = time.monotonic() - t0

    def stop_dcmond(self):
        self.dcmond.send_signal(signal.SIGTERM)
        try:
            rc = self.dcmond.wait(60)
        except subprocess.TimeoutExpired:
            self.dcmond.kill()
            rc = self.dcmond.wait(10)
            self.notes.append("dcmond did not stop within 60 s of SIGTERM")
        self.end_run("term", rc)
        if rc != 0:
            self.unexpected.append((len(self.runs) - 1, rc))

    def stop_all(self):
        for s in self.silent_udp.values() if hasattr(self, "silent_udp") else []:
            s.close()
        if hasattr(self, "modbus_silent"):
            self.modbus_silent.stop = True
        if getattr(self, "snmpd_stopped", False):
            self.snmpd.send_signal(signal.SIGCONT)
        if self.dcmond and self.dcmond.poll() is None:
            self.dcmond.kill()
            self.dcmond.wait(10)
        for _, p in self.procs:
            if p.poll() is None:
                p.terminate()
        for _, p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.ports.release()


# ---- the checks -----------------------------------------------------------------------

TRANSITION = re.compile(r'^ts=(\S+) level=info sub=alert dev=(\S+) msg="(\S+) (.+): '
                        r'(ok|pending|firing|resolved) -> (ok|pending|firing|resolved) severity=')
SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"SUMMARY: (Address|Undefined|Leak)Sanitizer")


def check_transitions(s, db):
    """Alert transitions: what each run logged vs alerts.db's history.  A logged
    transition matches a history row of the same alert and states within 10 s.
    A transition logged in the last 2 s before a kill -9 whose row is missing was
    logged before its transaction committed (fsm_move logs, then commits): counted as
    uncommitted_at_kill, not as missing (the engine re-derives it after the restart)."""
    logged = {}
    for r in s.runs:
        with open(r["log"], errors="replace") as f:
            for line in f:
                m = TRANSITION.match(line)
                if m:
                    key = (m.group(3), m.group(2), m.group(4), m.group(5), m.group(6))
                    logged.setdefault(key, []).append((log_time_ms(m.group(1)), r))
    rows = db.execute("SELECT a.rule, a.device, a.metric, h.from_state, h.to_state, h.ts_ms"
                      " FROM history h JOIN alerts a ON a.id = h.alert_id").fetchall()
    stored = {}
    for rule, dev, metric, fr, to, ts in rows:
        stored.setdefault((rule, dev, metric, STATES[fr], STATES[to]), []).append(ts)
    dup_rows = db.execute("SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM history"
                          " GROUP BY alert_id, ts_ms, from_state, to_state HAVING n > 1)").fetchone()[0]
    missing, unlogged, at_kill, examples = 0, 0, 0, []
    for key in set(logged) | set(stored):
        ls = sorted(logged.get(key, []), key=lambda x: x[0])
        ds = sorted(stored.get(key, []))
        used = [False] * len(ds)
        for ts, run in ls:
            j = next((j for j, d in enumerate(ds) if not used[j] and abs(d - ts) <= 10000), None)
            if j is not None:
                used[j] = True
            elif run["how"] == "kill" and run["end"] * 1000 - ts <= 2000:
                at_kill += 1
            else:
                missing += 1
                examples.append("missing %s at %d" % (" ".join(key), ts))
        n = used.count(False)
        unlogged += n
        if n:
            examples.append("not logged %s x%d" % (" ".join(key), n))
    return dict(transitions=len(rows), logged=sum(len(v) for v in logged.values()),
                dup_rows=dup_rows, missing=missing, unlogged=unlogged, at_kill=at_kill,
                examples=examples[:10])


def check_notifications(s, db):
    """Each message marked sent in notify.db reached the sink exactly once per
    recipient; nothing pending or failed; no message at the sink that notify.db does
    not know.  A second copy is counted as resent_at_interrupt when a kill -9 or a relay
    stop fell within 2 s after the first copy (SMTP's window between the relay's
    acceptance and the spool's record of it: at least once, by design)."""
    got = {}
    for path in glob.glob(s.T + "/mail/msg-*.json"):
        with open(path) as f:
            rec = json.load(f)
        m = re.search(r"(?im)^Message-ID: (\S+)", rec["data"])
        mid = m.group(1) if m else "(none)"
        for rc in rec["rcpt_tos"]:
            got.setdefault((mid, rc.lower()), []).append(rec["ts"])
    rows = db.execute("SELECT message_id, rcpt, state FROM messages").fetchall()
    known = {(mid, rc.lower()): st for mid, rc, st in rows}
    sent = [k for k, st in known.items() if st == 1]
    interrupts = sorted(s.kills + s.sink_stops)
    out = dict(notifications=len(sent), pending=sum(1 for st in known.values() if st == 0),
               failed=sum(1 for st in known.values() if st == 2), not_delivered=0, duplicates=0,
               resent=0, unrecorded=0, examples=[])
    for k in sent:
        copies = sorted(got.get(k, []))
        if not copies:
            out["not_delivered"] += 1
            out["examples"].append("sent but not received: %s %s" % k)
        for a, b in zip(copies, copies[1:]):
            if any(a <= t <= min(b, a + 2) for t in interrupts):
                out["resent"] += 1
            else:
                out["duplicates"] += 1
                out["examples"].append("duplicate: %s %s" % k)
    for k in got:
        if k not in known:
            out["unrecorded"] += 1
            out["examples"].append("received, not in notify.db: %s %s" % k)
    out["examples"] = out["examples"][:10]
    return out


def check_rrd(s):
    files = sorted(glob.glob(s.T + "/data/**/*.rrd", recursive=True))
    sample = files if len(files) <= 2000 else random.sample(files, 500)
    bad = []
    for f in sample:
        r = subprocess.run(["rrdtool", "info", f], capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or "rrd_version" not in r.stdout or "ds[value].type" not in r.stdout:
            bad.append("%s: %s" % (f, (r.stderr or r.stdout).strip()[:120]))
    return len(files), len(sample), bad


def integrity(path):
    r = subprocess.run(["sqlite3", path, "PRAGMA integrity_check"], capture_output=True, text=True,
                       timeout=120)
    return r.stdout.strip() if r.returncode == 0 else "error: " + r.stderr.strip()


def check(s):
    res, fails = {}, []
    res["minutes"] = "%g" % s.a.minutes
    res["seed"] = s.seed
    res["kills"] = len(s.kills)
    res["restarts"] = len(s.runs) - 1
    res["scenarios"] = s.scenarios_run
    res["traps_sent"] = s.traps_sent
    integ = {f: integrity("%s/%s" % (s.state, f)) for f in ("alerts.db", "notify.db")}
    res["integrity"] = "ok" if all(v == "ok" for v in integ.values()) else \
        ";".join("%s:%s" % (k, v[:80]) for k, v in integ.items() if v != "ok")
    adb = sqlite3.connect("file:%s/alerts.db?mode=ro" % s.state, uri=True)
    ndb = sqlite3.connect("file:%s/notify.db?mode=ro" % s.state, uri=True)
    t = check_transitions(s, adb)
    n = check_notifications(s, ndb)
    res["transitions"] = t["transitions"]
    res["transitions_logged"] = t["logged"]
    res["uncommitted_at_kill"] = t["at_kill"]
    res["notifications"] = n["notifications"]
    res["resent_at_interrupt"] = n["resent"]
    res["pending"] = n["pending"]
    res["failed"] = n["failed"]
    res["unrecorded"] = n["unrecorded"]
    res["duplicates"] = t["dup_rows"] + t["unlogged"] + n["duplicates"]
    res["missing"] = t["missing"] + n["not_delivered"] + n["pending"]
    nfiles, nchecked, bad = check_rrd(s)
    res["rrd_files"] = nfiles
    res["rrd_checked"] = nchecked
    res["rrd_invalid"] = len(bad)
    third = s.chaos_s / 3
    first = [h for el, h, _ in s.rss if el < third]
    last = [h for el, h, _ in s.rss if 2 * third <= el <= s.chaos_s]
    res["rss_max_kb"] = max([h for _, h, _ in s.rss] + [r["hwm"] for r in s.runs])
    res["rss_first_third_kb"] = max(first or [0])
    res["rss_last_third_kb"] = max(last or [0])
    res["rss_at_restarts_kb"] = ",".join(str(r["hwm"]) for r in s.runs)
    san = []
    for r in s.runs:
        with open(r["log"], errors="replace") as f:
            san += [l.strip() for l in f if SANITIZER.search(l)]
    cores = glob.glob(s.T + "/core*")
    res["sanitizer_reports"] = len(san)
    res["cores"] = len(cores)
    res["unexpected_exits"] = len(s.unexpected)
    res["drained_s"] = "%.0f" % s.drain_s

    if res["kills"] < s.nkills:
        fails.append("only %d of %d kills" % (res["kills"], s.nkills))
    if not s.drained:
        fails.append("notifications did not drain within %ds" % DRAIN_MAX_S)
    if res["integrity"] != "ok":
        fails.append("integrity: " + res["integrity"])
    if res["duplicates"] or res["missing"] or res["unrecorded"] or res["failed"]:
        fails += t["examples"] + n["examples"]
        fails.append("duplicates=%d missing=%d unrecorded=%d failed=%d"
                     % (res["duplicates"], res["missing"], res["unrecorded"], res["failed"]))
    if bad:
        fails += bad[:5]
    if nfiles == 0:
        fails.append("no RRD file")
    if res["rss_last_third_kb"] > 1.5 * res["rss_first_third_kb"] + 20 * 1024:
        fails.append("RSS grew: last third %d kB > 1.5 x first third %d kB + 20 MB"
                      % (res["rss_last_third_kb"], res["rss_first_third_kb"]))
    if san or cores or s.unexpected:
        fails += san[:5] + cores[:5] + ["dcmond run %d ended with %s (%s)" % (i, rc, s.runs[i]["log"])
                                         for i, rc in s.unexpected]
    if t["transitions"] == 0 or n["notifications"] == 0:
        fails.append("nothing happened: %d transitions, %d notifications"
                     % (t["transitions"], n["notifications"]))
    fails += s.notes
    return res, fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    s = Soak(a)
    ok = False
    try:
        s.run()
        res, fails = check(s)
        ok = not fails
        for f in fails:
            log("FAIL: " + f)
        for k, v in res.items():
            print("%s=%s" % (k, v))
        print("result=%s" % ("pass" if ok else "fail"), flush=True)
    finally:
        s.stop_all()
        if s.mounted:
            if not ok or os.environ.get("DCMON_BENCH_KEEP"):
                for f in glob.glob(s.state + "/*.db*"):
                    shutil.copy(f, s.T)
            subprocess.run(["umount", "-l", s.state])
        if ok and not os.environ.get("DCMON_BENCH_KEEP"):
            shutil.rmtree(s.T, ignore_errors=True)
        else:
            log("kept %s" % s.T)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
