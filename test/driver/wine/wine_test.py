#!/usr/bin/env python3
"""Runs the real scream.sys under Wine and checks what it sends.

Each test re-executes itself inside `unshare -n` (a network namespace with only `lo` up), so no
datagram can leave the machine even if the netio double's loopback-only rule failed. Inside, it
copies the driver and the two test doubles into the Wine prefix, starts a UDP receiver on
127.0.0.1, runs scream_wine_run.exe (registry options, service start, scenario, service stop)
and then asserts on the datagrams and on the doubles' records.

Subcommands: prefix (create the build tree's prefix once), stream (play one format), refused
(default multicast destination: the double must refuse it; socket options recorded).
Exit codes: 0 passed, 1 failed, 77 skipped (reason printed).
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

SKIP = 77
HEADER_BYTES = 5
PAYLOAD_BYTES = 1152
RATE_TOLERANCE_PPM = 500
OPTIONS_RECORD = "netio.log"
PORTCLS_RECORD = "portcls.log"
IP_TOS, IP_MULTICAST_IF, IP_MULTICAST_TTL = 3, 9, 10


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Wine

def wine_env(prefix, debug=False):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.update({
        "WINEPREFIX": prefix,
        "WINEARCH": "win64",
        # Our netio.sys must win over Wine's builtin one; no debugger on a crash; no Mono/Gecko.
        "WINEDLLOVERRIDES": "netio.sys=n;winedbg.exe=d;mscoree=d;mshtml=d",
        "WINEDEBUG": os.environ.get("SCREAM_WINEDEBUG", "-all,err+all,warn+debugstr") if debug else "-all",
    })
    return env


def stop_wineserver(args, env):
    """Ends any Wine session of this prefix; a server started outside the namespace must not host
    our processes."""
    subprocess.run([args.wineserver, "-k"], env=env, stderr=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, timeout=30)
    subprocess.run([args.wineserver, "-w"], env=env, timeout=60)


def drivers_dir(prefix):
    return os.path.join(prefix, "drive_c", "windows", "system32", "drivers")


def record_dir(prefix):
    return os.path.join(prefix, "drive_c", "scream-wine")


def make_prefix(args):
    marker = os.path.join(args.prefix, ".scream-prefix-ready")
    if os.path.exists(marker):
        log(f"prefix {args.prefix} already made")
        return
    shutil.rmtree(args.prefix, ignore_errors=True)
    env = wine_env(args.prefix)
    started = time.monotonic()
    subprocess.run([args.wine64, "wineboot", "-i"], env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([args.wine64, "sc", "create", "Scream", "type=", "kernel", "start=", "demand",
                    "binPath=", "C:\\windows\\system32\\drivers\\scream.sys"],
                   env=env, check=True, timeout=120, stdout=subprocess.DEVNULL)
    stop_wineserver(args, env)
    open(marker, "w").close()
    log(f"prefix made in {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------------------
# The signal the portcls double writes (audio_engine.cpp, signalSample): keep the two in step.

def signal_bytes(first_frame, frames, channels, bytes_per_sample):
    out = bytearray(frames * channels * bytes_per_sample)
    i = 0
    for frame in range(first_frame, first_frame + frames):
        base = (frame * 2654435761) & 0xFFFFFFFF
        for channel in range(channels):
            sample = base ^ ((channel * 0x9E3779B9) & 0xFFFFFFFF) ^ 0x5A5A5A5A
            out[i:i + bytes_per_sample] = sample.to_bytes(4, "little")[:bytes_per_sample]
            i += bytes_per_sample
    return bytes(out)


def rate_marker(rate):
    if rate % 44100 == 0:
        return 0x80 | (rate // 44100)
    return rate // 48000


# ---------------------------------------------------------------------------------------------
# Receiving

class Receiver:
    """Collects every datagram on 127.0.0.1:port with its CLOCK_MONOTONIC arrival time."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            self.datagrams.append((time.monotonic(), data))

    def stop(self):
        time.sleep(0.3)
        self.running = False
        self.thread.join()
        self.sock.close()


def run_driver(args, options, scenario, seconds):
    """Copies the binaries, runs one scenario; returns (records, controller output)."""
    env = wine_env(args.prefix, debug=True)
    stop_wineserver(args, env)
    for path in (args.driver, args.portcls, args.netio):
        shutil.copy(path, drivers_dir(args.prefix))
    records = record_dir(args.prefix)
    shutil.rmtree(records, ignore_errors=True)
    os.makedirs(records)
    with open(os.path.join(records, "scenario.txt"), "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in scenario.items()))
    runner = os.path.join(records, "scream_wine_run.exe")
    shutil.copy(args.runner, runner)
    started = time.monotonic()
    result = subprocess.run([args.wine64, runner, str(int(seconds) + 30)] + options, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=seconds + 90)
    stop_wineserver(args, env)
    with open(os.path.join(records, "wine-stderr.log"), "w") as f:
        f.write(result.stderr)
    log(f"wine run took {time.monotonic() - started:.1f} s (scenario {seconds:.1f} s), "
        f"controller exit {result.returncode}")
    debug_lines = [l for l in result.stderr.splitlines() if "scream:" in l or "err:" in l]
    for line in debug_lines[:40]:
        log(f"  wine: {line}")
    recorded = {}
    for name in (PORTCLS_RECORD, OPTIONS_RECORD):
        path = os.path.join(records, name)
        recorded[name] = open(path).read().splitlines() if os.path.exists(path) else []
        log(f"--- {name}")
        for line in recorded[name]:
            log(f"  {line}")
    check(result.returncode == 0, f"scream_wine_run failed: {result.stdout.strip()}")
    return recorded


def fields(line):
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def find(lines, prefix):
    found = [l for l in lines if l.startswith(prefix)]
    check(found, f"no record line starting with '{prefix}'")
    return found


def check_common_records(recorded):
    portcls = recorded[PORTCLS_RECORD]
    netio = recorded[OPTIONS_RECORD]
    check("scenario passed" in portcls, "the portcls double's scenario did not pass")
    check("unload" in portcls, "DriverUnload did not chain to PortCls's unload routine")
    check(any(l.startswith("subdevice name=Wave device_matches=1 is_port=1") for l in portcls),
          "wave subdevice not registered")
    check(any(l.startswith("subdevice name=Topology device_matches=1 is_port=1") for l in portcls),
          "topology subdevice not registered")
    check(any(l.startswith("connection from=Wave:1 to=Topology:0 device_matches=1")
              for l in portcls), "physical connection Wave:1 -> Topology:0 missing")
    wave = fields(find(portcls, "descriptor kind=wavert")[0])
    check(wave["pin_size_ok"] == "1" and wave["pins"] == "2", f"wave descriptor: {wave}")
    categories = {fields(l)["guid"] for l in portcls if l.startswith("category kind=wavert")}
    check({"6994AD04-93EF-11D0", "65E8773E-8F56-11D0", "EB115FFC-10C8-4964"} <= categories,
          f"wave filter categories must include AUDIO, RENDER, REALTIME: {sorted(categories)}")
    removed = [fields(l) for l in find(portcls, "subdevice unregistered")]
    check(len(removed) == 2 and all(f["refs_left"] == "0" and f["miniport_refs_left"] == "0"
                                    for f in removed),
          "a port or miniport is still referenced after device removal")
    check(netio[:2] == ["register version=0x0100", "capture wait=0xffffffff registered=1"],
          f"WSK registration: {netio[:2]}")
    check("socket family=2 type=2 protocol=17 flags=4 context=null dispatch=null" in netio,
          "no WSK datagram socket (AF_INET, SOCK_DGRAM, UDP, WSK_FLAG_DATAGRAM_SOCKET)")
    check(netio[-2:] == ["release", "deregister"], f"WSK teardown: {netio[-2:]}")
    check(not [l for l in netio + portcls if "unexpected" in l or "failure" in l],
          "a double recorded an unexpected call or a failure")


def options_set(netio):
    return {int(f["name"]): int(f["value"]) for f in map(fields, netio) if "name" in f}


# ---------------------------------------------------------------------------------------------
# Scenarios

def stream(args):
    bytes_per_sample = args.bits // 8
    frame_bytes = bytes_per_sample * args.channels
    receiver = Receiver()
    options = ["UnicastIPv4=s:127.0.0.1", f"UnicastPort=d:{receiver.port}"] + args.option
    scenario = {"rate": args.rate, "bits": args.bits, "channels": args.channels,
                "mask": int(args.mask, 0), "ms": int(args.seconds * 1000), "buffer_ms": 1000,
                "notifications": 2}
    try:
        recorded = run_driver(args, options, scenario, args.seconds)
    finally:
        receiver.stop()
    check_common_records(recorded)
    portcls, netio = recorded[PORTCLS_RECORD], recorded[OPTIONS_RECORD]
    check(fields(find(portcls, "newstream")[0])["status"] == "0x00000000", "NewStream failed")
    played = int(fields(find(portcls, "played frames=")[0])["frames"])
    closed = fields(find(netio, "close ")[0])
    sent = int(closed["sent"])
    check(closed["refused"] == "0" and closed["failed"] == "0", f"sends refused/failed: {closed}")
    check(fields(find(netio, "bind ")[0])["address"] == "0.0.0.0", "bound to an unexpected address")
    if any(o.startswith("DSCP=d:") for o in args.option):
        dscp = int(next(o for o in args.option if o.startswith("DSCP=d:"))[7:])
        check(options_set(netio).get(IP_TOS) == dscp << 2, f"IP_TOS not set to DSCP {dscp} << 2")
    check(IP_MULTICAST_TTL not in options_set(netio), "multicast TTL set on a unicast stream")

    datagrams = receiver.datagrams
    log(f"received {len(datagrams)} datagrams, double sent {sent}, stream played {played} frames")
    check(len(datagrams) == sent, f"received {len(datagrams)} datagrams, the double sent {sent}")
    header = bytes([rate_marker(args.rate), args.bits, args.channels]) + \
        int(args.mask, 0).to_bytes(2, "little")
    for i, (_, data) in enumerate(datagrams):
        check(data[:HEADER_BYTES] == header, f"datagram {i}: header {data[:5].hex()} != {header.hex()}")
        if i < len(datagrams) - 1:
            check(len(data) == HEADER_BYTES + PAYLOAD_BYTES, f"datagram {i} is {len(data)} bytes")
    pcm = b"".join(d[HEADER_BYTES:] for _, d in datagrams)
    expected = signal_bytes(0, played, args.channels, bytes_per_sample)
    if len(pcm) < len(expected) and expected.endswith(pcm):
        lost = len(expected) - len(pcm)
        raise Failure(f"the first {lost} bytes ({lost // PAYLOAD_BYTES} datagrams) of the stream "
                      f"never left: the rest is exact")
    check(len(pcm) == played * frame_bytes,
          f"received {len(pcm)} PCM bytes, the stream played {played} frames = {played * frame_bytes}")
    if pcm != expected:
        first = next(i for i in range(len(pcm)) if pcm[i] != expected[i])
        raise Failure(f"PCM differs from the written signal at byte {first} (frame {first // frame_bytes})")
    log(f"PCM identical to the written signal: {played} frames, {len(pcm)} bytes")
    if args.check_rate:
        check_rate(datagrams, args.rate, frame_bytes)


def check_rate(datagrams, rate, frame_bytes):
    """Frame rate from arrival times. A datagram leaves once its last frame has played, later by
    up to a timer tick, or by a Wine stall (~150 ms): the least-late datagram of the first and
    of the last 2 s mark the clock, whatever happened in between."""
    frames_through = []
    total = 0
    for _, data in datagrams:
        total += (len(data) - HEADER_BYTES) // frame_bytes
        frames_through.append(total)
    t0 = datagrams[0][0]
    lateness = [(t - t0) - frames / rate for (t, _), frames in zip(datagrams, frames_through)]
    span = frames_through[-1] / rate
    check(span >= 6, f"only {span:.1f} s of audio: too short to measure the rate")
    window = 2.0
    head = [i for i, f in enumerate(frames_through) if f / rate <= window]
    tail = [i for i, f in enumerate(frames_through) if f / rate >= span - window]
    i0 = min(head, key=lambda i: lateness[i])
    i1 = min(tail, key=lambda i: lateness[i])
    audio = (frames_through[i1] - frames_through[i0]) / rate
    wall = (datagrams[i1][0] - datagrams[i0][0])
    ppm = (audio / wall - 1) * 1e6
    log(f"frame rate: {frames_through[i1] - frames_through[i0]} frames in {wall:.4f} s = "
        f"{rate * audio / wall:.2f} Hz ({ppm:+.0f} ppm of {rate}); worst lateness "
        f"{(max(lateness) - min(lateness)) * 1000:.1f} ms over {span:.1f} s")
    check(abs(ppm) <= RATE_TOLERANCE_PPM, f"frame rate off by {ppm:+.0f} ppm (limit {RATE_TOLERANCE_PPM})")


def refused(args):
    """No destination configured: the driver aims at 239.255.77.77:4010, which the double must
    refuse. Multicast options are set, so TTL, interface and DSCP are all recorded."""
    options = ["TTL=d:4", "MulticastInterfaceIPv4=s:127.0.0.1", "DSCP=d:46"]
    recorded = run_driver(args, options, {"rate": 48000, "bits": 16, "channels": 2, "mask": 3,
                                          "ms": 1000, "buffer_ms": 1000, "notifications": 2}, 1)
    check_common_records(recorded)
    netio = recorded[OPTIONS_RECORD]
    check("refused destination=239.255.77.77 port=4010 (outside 127.0.0.0/8)" in netio,
          "the default multicast destination was not refused")
    closed = fields(find(netio, "close ")[0])
    check(closed["sent"] == "0" and int(closed["refused"]) > 0, f"sends: {closed}")
    got = options_set(netio)
    want = {IP_MULTICAST_TTL: 4, IP_MULTICAST_IF: 0x0100007F, IP_TOS: 46 << 2}
    check(got == want, f"socket options recorded {got}, expected {want}")
    log(f"refused {closed['refused']} datagrams to 239.255.77.77:4010; options {got}")


# ---------------------------------------------------------------------------------------------

def enter_namespace():
    """Re-runs this script in a new network namespace (only lo, brought up here)."""
    if os.geteuid() != 0:
        log("skipped: needs root for unshare -n (a private network namespace for Wine)")
        sys.exit(SKIP)
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        log(f"skipped: unshare -n does not work here: {probe.stderr.strip()}")
        sys.exit(SKIP)
    env = dict(os.environ, SCREAM_WINE_IN_NAMESPACE="1")
    sys.exit(subprocess.run(["unshare", "-n", sys.executable] + sys.argv, env=env).returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("prefix", "wine64", "wineserver", "driver", "portcls", "netio", "runner"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("command", choices=["prefix", "stream", "refused"])
    parser.add_argument("--rate", type=int, default=48000)
    parser.add_argument("--bits", type=int, default=16)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--mask", default="0x3")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--option", action="append", default=[], help="NAME=d:DWORD or NAME=s:TEXT")
    parser.add_argument("--check-rate", action="store_true")
    args = parser.parse_args()
    if os.environ.get("SCREAM_WINE_IN_NAMESPACE") != "1":
        enter_namespace()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    if links.count("\n") != 1 or ": lo:" not in links:
        log(f"FAILED: the namespace has more than lo: {links}")
        return 1
    try:
        if args.command == "prefix":
            make_prefix(args)
        elif args.command == "stream":
            stream(args)
        else:
            refused(args)
    except Failure as failure:
        log(f"FAILED: {failure}")
        return 1
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
