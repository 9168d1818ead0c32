#!/usr/bin/env python3
"""Runs the real scream.sys under Wine and checks what it sends.

Each test re-executes itself inside `unshare -n` (a network namespace with only `lo` up), so no
datagram can leave the machine even if the netio double's loopback-only rule failed. Inside, it
copies the driver and the two test doubles into the Wine prefix, starts a UDP receiver on
127.0.0.1, runs scream_wine_run.exe (registry options, service start, scenario, service stop)
and then asserts on the datagrams and on the doubles' records.

Subcommands: prefix (create the build tree's prefix once), stream (play one format), refused
(default multicast destination: the double must refuse it; socket options recorded), ivshmem
(UseIVSHMEM: the driver writes an IVSHMEM device double's /dev/shm file while scream-recv -m
reads it), ivshmem_wrong_size and ivshmem_map_fails (the fallback to the network).
Exit codes: 0 passed, 1 failed, 77 skipped (reason printed).
"""
import argparse
import array
import os
import signal
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
IVSHMEM_RECORD = "ivshmem.log"
IVSHMEM_CHUNK_MS = 5  # what the driver writes unless IVSHMEMChunkMs says otherwise
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

def signal_bytes(first_frame, frames, channels, bytes_per_sample, valid_bits=None):
    """Frames of the test signal as the double writes them; with fewer valid bits than the
    container the samples are left-justified (low bits zero)."""
    container = bytes_per_sample * 8
    unused = container - valid_bits if valid_bits else 0
    keep = 0xFFFFFFFF & ~((1 << unused) - 1)
    salts = [((channel * 0x9E3779B9) ^ 0x5A5A5A5A) & 0xFFFFFFFF for channel in range(channels)]
    words = array.array("I", ((((frame * 2654435761) & 0xFFFFFFFF) ^ salt) & keep
                              for frame in range(first_frame, first_frame + frames)
                              for salt in salts))
    if sys.byteorder != "little":
        words.byteswap()
    raw = words.tobytes()
    if bytes_per_sample == 4:
        return raw
    out = bytearray(len(words) * bytes_per_sample)
    for b in range(bytes_per_sample):
        out[b::bytes_per_sample] = raw[b::4]
    return bytes(out)


def rate_marker(rate):
    if rate % 44100 == 0:
        return 0x80 | (rate // 44100)
    return rate // 48000


# ---------------------------------------------------------------------------------------------
# Receiving

class Receiver:
    """Collects every datagram on 127.0.0.1:port with its CLOCK_MONOTONIC arrival time."""

    def __init__(self, address="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams = []
        self.sources = set()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, source = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            self.datagrams.append((time.monotonic(), data, source))
            self.sources.add(source)

    def stop(self):
        time.sleep(0.3)
        self.running = False
        self.thread.join()
        self.sock.close()


def run_driver(args, options, scenario, seconds):
    """Copies the binaries, runs one scenario (a list of stream lines); returns the records."""
    env = wine_env(args.prefix, debug=True)
    stop_wineserver(args, env)
    for path in (args.driver, args.portcls, args.netio):
        shutil.copy(path, drivers_dir(args.prefix))
    records = record_dir(args.prefix)
    shutil.rmtree(records, ignore_errors=True)
    os.makedirs(records)
    with open(os.path.join(records, "scenario.txt"), "w") as f:
        f.write("".join(line + "\n" for line in scenario))
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
    recorded = {"driver log": [l.split("scream: ", 1)[1] for l in debug_lines if "scream: " in l]}
    for name in (PORTCLS_RECORD, OPTIONS_RECORD, IVSHMEM_RECORD):
        path = os.path.join(records, name)
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        log(f"--- {name}")
        for line in lines:
            log(f"  {line}")
        recorded[name] = [line.rsplit(" @", 1)[0] for line in lines]  # without the time stamp
    check(result.returncode == 0, f"scream_wine_run failed: {result.stdout.strip()}")
    return recorded


def fields(line):
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def find(lines, prefix):
    found = [l for l in lines if l.startswith(prefix)]
    check(found, f"no record line starting with '{prefix}'")
    return found


def check_common_records(recorded, devices=1):
    portcls = recorded[PORTCLS_RECORD]
    netio = recorded[OPTIONS_RECORD]
    check("scenario passed" in portcls, "the portcls double's scenario did not pass")
    check("unload" in portcls, "DriverUnload did not chain to PortCls's unload routine")
    check(sum(l.startswith("subdevice name=Wave device_matches=1 is_port=1")
              for l in portcls) == devices, "wave subdevice not registered on every device")
    check(sum(l.startswith("subdevice name=Topology device_matches=1 is_port=1")
              for l in portcls) == devices, "topology subdevice not registered on every device")
    check(sum(l.startswith("connection from=Wave:1 to=Topology:0 device_matches=1")
              for l in portcls) == devices, "physical connection Wave:1 -> Topology:0 missing")
    # The driver asks for its own part of the device extension, behind PortCls's.
    added = [fields(l) for l in find(portcls, "addadapter ")]
    check(len(added) == devices and all(f["status"] == "0x00000000" and
                                        int(f["extension"]) > 512 for f in added),
          f"PcAddAdapterDevice: {added} (extension must exceed PORT_CLASS_DEVICE_EXTENSION_SIZE)")
    wave = fields(find(portcls, "descriptor kind=wavert")[0])
    check(wave["pin_size_ok"] == "1" and wave["pins"] == "2", f"wave descriptor: {wave}")
    categories = {fields(l)["guid"] for l in portcls if l.startswith("category kind=wavert")}
    check({"6994AD04-93EF-11D0", "65E8773E-8F56-11D0", "EB115FFC-10C8-4964"} <= categories,
          f"wave filter categories must include AUDIO, RENDER, REALTIME: {sorted(categories)}")
    removed = [fields(l) for l in find(portcls, "subdevice unregistered")]
    check(len(removed) == 2 * devices and all(f["refs_left"] == "0" and
                                              f["miniport_refs_left"] == "0" for f in removed),
          "a port or miniport is still referenced after device removal")
    if devices == 1:  # the two-device scenario skips the format probes
        check_negotiation(portcls)
    timers = [l for l in recorded["driver log"] if l.startswith("stream timer: ")]
    # Wine 8.0 has no EX_TIMER, and its IoSetCompletionRoutineEx is a stub that aborts: the
    # driver must notice the first and, with it, not call the second.
    check(timers == ["stream timer: KTIMER (this kernel has no ExAllocateTimer)"],
          f"the driver did not say once that it falls back to a KTIMER under Wine: {timers}")
    completions = [l for l in recorded["driver log"] if l.startswith("send completion: ")]
    check(completions == ["send completion: IoSetCompletionRoutine (kernel older than Windows "
                          "8.1, or Wine)"], f"send completion routine: {completions}")
    # One WSK registration per device. The capture waits a bounded time (1 s): removal waits
    # for it, so never WSK_INFINITE_WAIT.
    check(netio.count("register version=0x0100") == devices and
          netio.count("deregister") == devices, f"WSK registrations: {netio}")
    captures = netio.count("capture wait=0x000003e8 registered=1")
    check(1 <= captures <= devices and netio.count("release") == captures and
          len([l for l in netio if l.startswith("capture ")]) == captures,
          f"WSK provider captures: {[l for l in netio if l.startswith(('capture', 'release'))]}")
    check("socket family=2 type=2 protocol=17 flags=4 context=null dispatch=null" in netio,
          "no WSK datagram socket (AF_INET, SOCK_DGRAM, UDP, WSK_FLAG_DATAGRAM_SOCKET)")
    check(netio[-1] == "deregister", f"WSK teardown: {netio[-2:]}")
    check(not [l for l in netio + portcls if "unexpected" in l or "failure" in l],
          "a double recorded an unexpected call or a failure")


# What the double's format probes must find (audio_engine.cpp, probeFormatNegotiation).
PROBES_ACCEPTED = {"48k_16_2ch", "44k1_24_6ch", "192k_32_8ch", "48k_24in32_2ch", "96k_20in24_5ch"}
PROBES_REFUSED = {"22k05_16_2ch", "384k_16_2ch", "48k_8_2ch", "48k_20_2ch", "48k_16_9ch",
                  "48k_float32_2ch"}


def check_negotiation(portcls):
    """Format negotiation as the audio engine does it: the default format (PROPOSEDATAFORMAT2)
    is 48 kHz/16 bit/stereo and itself accepted; for every probed format the data ranges,
    PROPOSEDATAFORMAT and NewStream give the same, expected answer."""
    default = fields(find(portcls, "default_format ")[0])
    check(default["status"] == "0x00000000" and default["well_formed"] == "1" and
          default["size_status"] == "0x80000005",  # STATUS_BUFFER_OVERFLOW: the size first
          f"PROPOSEDATAFORMAT2 (default format): {default}")
    check((default["rate"], default["bits"], default["valid"], default["channels"],
           default["mask"]) == ("48000", "16", "16", "2", "0x3"),
          f"default format is not 48 kHz/16 bit/stereo: {default}")
    check(default["proposed"] == "0x00000000", "the default format is refused by PROPOSEDATAFORMAT")
    probes = {f["name"]: f for f in map(fields, find(portcls, "probe name="))}
    check(set(probes) == PROBES_ACCEPTED | PROBES_REFUSED, f"probes run: {sorted(probes)}")
    for name, f in probes.items():
        want = "1" if name in PROBES_ACCEPTED else "0"
        check(f["want"] == want and f["agree"] == "1",
              f"format {name}: ranges={f['ranges']} PROPOSEDATAFORMAT={f['propose']} "
              f"NewStream={f['newstream']}, expected {'accepted' if want == '1' else 'refused'} "
              f"by all three")
    ranges = [fields(l) for l in portcls if l.startswith("range index=")]
    check(len(ranges) == 18 and all(r["bits"].split("-")[0] == r["bits"].split("-")[1]
                                    for r in ranges),
          f"expected 18 data ranges (6 rates x 16/24/32 bit, one depth each), got {len(ranges)}")


SOL_IP, SOL_SOCKET, SO_BROADCAST = 0, 0xFFFF, 0x20
BROADCAST_ON = {(SOL_SOCKET, SO_BROADCAST): 1}  # set on every socket (broadcast destinations)


def options_set(netio):
    """{(level, name): value} of every socket option the driver set."""
    return {(int(f["level"]), int(f["name"])): int(f["value"])
            for f in map(fields, netio) if "name" in f and "refused" not in f}


# ---------------------------------------------------------------------------------------------
# Scenarios

class Format:
    """One stream of a scenario: RATE/BITS/CHANNELS/MASK/SECONDS[/RUNS], e.g. 48000/16/2/0x3/10;
    RUNS > 1 plays RUN ... STOP that many times on the same stream. BITS may be VALIDinCONTAINER,
    e.g. 24in32: the double writes left-justified 24-bit samples in 32-bit containers, and the
    driver sends the containers as 32 bit."""

    def __init__(self, text):
        rate, bits, channels, mask, seconds, *runs = text.split("/")
        valid, _, container = bits.partition("in")
        self.valid_bits = int(valid) if container else 0
        bits = container or bits
        self.rate, self.bits, self.channels = int(rate), int(bits), int(channels)
        self.buffer_ms = 2000
        self.mask, self.seconds = int(mask, 0), float(seconds)
        self.runs = int(runs[0]) if runs else 1
        self.silence_at = self.silence_frames = 0  # frames the double writes as zeros
        self.suppress_after = 0  # the driver's SilenceThreshold, 0 = off
        self.set_format_bits = 0  # the double asks for this depth halfway through RUN
        self.mute_at_ms = self.unmute_at_ms = 0  # topology mute node set / cleared during RUN
        self.mute_frames = None  # (muted at, unmuted at) in frames, from the double's record
        self.surprise_at_ms = 0  # IRP_MN_SURPRISE_REMOVAL during RUN, then STOP and close
        self.frame_bytes = self.bits // 8 * self.channels

    def header(self):
        return bytes([rate_marker(self.rate), self.bits, self.channels]) + \
            self.mask.to_bytes(2, "little")

    def scenario_line(self):
        return (f"rate={self.rate} bits={self.bits} valid_bits={self.valid_bits} "
                f"channels={self.channels} mask={self.mask} ms={int(self.seconds * 1000)} "
                f"buffer_ms={self.buffer_ms} notifications=4 runs={self.runs} "
                f"silence_at={self.silence_at} silence_frames={self.silence_frames} "
                f"setformat_bits={self.set_format_bits} mute_at_ms={self.mute_at_ms} "
                f"unmute_at_ms={self.unmute_at_ms} surprise_at_ms={self.surprise_at_ms}")

    def expected_pcm(self, frames):
        """What should arrive for `frames` played frames, and where a stream-internal short
        datagram may end (the flush when silence suppression starts), or None."""
        pcm = bytearray(signal_bytes(0, frames, self.channels, self.bits // 8, self.valid_bits))
        at = min(self.silence_at, frames) * self.frame_bytes
        end = min(self.silence_at + self.silence_frames, frames) * self.frame_bytes
        pcm[at:end] = bytes(end - at)
        if not self.suppress_after:
            return bytes(pcm), None
        cut = min(self.silence_at + self.suppress_after, frames) * self.frame_bytes
        return bytes(pcm[:cut] + pcm[end:]), cut if cut < end else None

    def __str__(self):
        depth = f"{self.valid_bits}-in-{self.bits}" if self.valid_bits else f"{self.bits}"
        return f"{self.rate} Hz/{depth} bit/{self.channels} ch"


def stream(args):
    play_and_check(args, [Format(text) for text in args.format], args.option, args.check_rate)


def play_and_check(args, formats, extra_options, check_rate_too=False, before_datagrams=None,
                   destination="127.0.0.1", receive_on="127.0.0.1", extra_scenario=()):
    """Plays `formats` one after the other to `destination` and checks every datagram; returns
    the records and the receiver."""
    receiver = Receiver(receive_on)
    options = [f"UnicastIPv4=s:{destination}", f"UnicastPort=d:{receiver.port}"] + extra_options
    try:
        recorded = run_driver(args, options,
                              list(extra_scenario) + [f.scenario_line() for f in formats],
                              sum((f.seconds + 0.5) * f.runs for f in formats))
    finally:
        receiver.stop()
    check_common_records(recorded)
    if before_datagrams is not None:
        before_datagrams(recorded)
    portcls, netio = recorded[PORTCLS_RECORD], recorded[OPTIONS_RECORD]
    opened = [fields(l) for l in find(portcls, "newstream")]
    check(len(opened) == len(formats) and all(f["status"] == "0x00000000" for f in opened),
          "NewStream failed")
    played_lines = [fields(l) for l in find(portcls, "played index=")]
    played = [int(f["frames"]) for f in played_lines]
    runs = [fmt for fmt in formats for _ in range(fmt.runs)]  # one entry per RUN ... STOP
    check(len(played) == len(runs), "not every stream played")
    check_notifications(played_lines, runs)
    closes = [fields(l) for l in find(netio, "close ")]
    sent = sum(int(c["sent"]) for c in closes)
    check(all(c["refused"] == "0" and c["failed"] == "0" for c in closes),
          f"sends refused/failed: {closes}")
    check_options(netio, extra_options)

    datagrams = receiver.datagrams
    log(f"received {len(datagrams)} datagrams, double sent {sent}, streams played {played} frames")
    check(len(datagrams) == sent, f"received {len(datagrams)} datagrams, the double sent {sent}")
    position = 0
    for index, (fmt, frames) in enumerate(zip(runs, played)):
        count = check_stream(index, fmt, frames, datagrams[position:])
        if check_rate_too:
            check_rate(datagrams[position:position + count], fmt.rate, fmt.frame_bytes)
        position += count
    check(position == len(datagrams), f"{len(datagrams) - position} datagrams after the last stream")
    return recorded, receiver


MUTE_TOLERANCE_S = 0.1  # the position the double saw vs. the tick that read the mute switch


def check_muted_region(name, fmt, pcm, expected):
    """Muted: one contiguous run of zero frames where the signal was, starting and ending within
    MUTE_TOLERANCE_S of when the double set and cleared the mute node; the rest exact. Returns
    `expected` (what remains to compare is then equal) after checking."""
    fb = fmt.frame_bytes
    frames = len(pcm) // fb
    differing = [f for f in range(frames) if pcm[f * fb:(f + 1) * fb] != expected[f * fb:(f + 1) * fb]]
    check(differing, f"{name}: nothing was muted")
    first, last = differing[0], differing[-1]
    check(pcm[first * fb:(last + 1) * fb] == bytes((last + 1 - first) * fb),
          f"{name}: the muted frames {first}-{last} are not all silence")
    muted_at, unmuted_at = fmt.mute_frames
    tolerance = int(MUTE_TOLERANCE_S * fmt.rate)
    check(abs(first - muted_at) <= tolerance and abs(last + 1 - unmuted_at) <= tolerance,
          f"{name}: silence at frames {first}-{last + 1}, mute was set at {muted_at} and cleared "
          f"at {unmuted_at} (tolerance {tolerance})")
    log(f"{name}: frames {first}-{last + 1} silent (mute set at frame {muted_at}, cleared at "
        f"{unmuted_at}); everything else identical to the signal")
    return expected


def check_notifications(played_lines, runs):
    """Each scenario stream asks for 4 notifications per buffer (2 s unless said otherwise), so
    the driver must set the event every quarter buffer of RUN. The double polls it every 5 ms
    (the event stays set until it is cleared), so only a stall longer than that could merge two."""
    for f, fmt in zip(played_lines, runs):
        expected = int(f["run_ms"]) // (fmt.buffer_ms // 4)
        got = int(f["notifications"])
        check((max(1, expected - 2) if expected else 0) <= got <= expected + 1,
              f"run {f['index']}/{f['run']}: {got} notification events in {f['run_ms']} ms of "
              f"RUN, expected about {expected}")


def check_stream(index, fmt, frames, datagrams):
    """Checks the datagrams of one stream at the start of `datagrams`; returns how many."""
    expected, flush_at = fmt.expected_pcm(frames)
    header = fmt.header()
    pcm = bytearray()
    count = 0
    while len(pcm) < len(expected) and count < len(datagrams) and \
            datagrams[count][1][:HEADER_BYTES] == header:
        pcm += datagrams[count][1][HEADER_BYTES:]
        count += 1
        if len(pcm) != flush_at and count < len(datagrams) and len(pcm) < len(expected):
            check(len(datagrams[count - 1][1]) == HEADER_BYTES + PAYLOAD_BYTES,
                  f"run {index} ({fmt}): datagram {count - 1} is {len(datagrams[count - 1][1])} "
                  f"bytes")
    name = f"run {index} ({fmt})"
    if fmt.mute_frames is not None and len(pcm) == len(expected):
        pcm = check_muted_region(name, fmt, pcm, expected)
    if len(pcm) < len(expected) and expected.endswith(pcm):
        lost = len(expected) - len(pcm)
        raise Failure(f"{name}: the first {lost} bytes ({lost // PAYLOAD_BYTES} datagrams) never "
                      f"left; the rest is exact")
    check(len(pcm) == len(expected),
          f"{name}: received {len(pcm)} PCM bytes with header {header.hex()}, played {frames} "
          f"frames = {len(expected)} bytes")
    if pcm != expected:
        first = next(i for i in range(len(pcm)) if pcm[i] != expected[i])
        raise Failure(f"{name}: PCM differs from the written signal at byte {first} "
                      f"(frame {first // fmt.frame_bytes})")
    log(f"{name}: PCM identical to the written signal, {frames} frames in {count} datagrams")
    return count


def check_options(netio, options):
    """The socket options and the bind address the registry asked for, and nothing else."""
    values = dict(o.split("=", 1) for o in options)
    want = dict(BROADCAST_ON)
    if values.get("DSCP", "").startswith("d:") and 0 < int(values["DSCP"][2:]) < 64:
        want[(SOL_IP, IP_TOS)] = int(values["DSCP"][2:]) << 2
    got = options_set(netio)
    check(got == want, f"socket options {got}, expected {want} (no multicast option on unicast)")
    bind = fields(find(netio, "bind ")[0])
    address = values.get("UnicastSrcIPv4", "s:0.0.0.0")[2:]
    port = values.get("UnicastSrcPort", "d:0")[2:]
    check((bind["address"], bind["port"]) == (address, port),
          f"bound to {bind['address']}:{bind['port']}, expected {address}:{port}")


PRODUCT_RATES = (44100, 48000, 88200, 96000, 176400, 192000)
PRODUCT_CHANNELS = ((1, 0x4), (2, 0x3), (5, 0x37), (6, 0x3F), (7, 0x63B), (8, 0x63F))


def product(args):
    """The full format product, one short stream after another on one filter, each proposed
    first (PROPOSEDATAFORMAT) and byte-exact on the wire: 6 rates x 16/24/32 bit x 1, 2, 5, 6,
    7, 8 channels, and 24-in-32 at every rate and channel count (sent as 32 bit)."""
    depths = ("16", "24", "32", "24in32")
    formats = []
    for rate in PRODUCT_RATES:
        for depth in depths:
            for channels, mask in PRODUCT_CHANNELS:
                fmt = Format(f"{rate}/{depth}/{channels}/{mask:#x}/{args.seconds}")
                fmt.buffer_ms = 1000
                formats.append(fmt)
    started = time.monotonic()
    play_and_check(args, formats, [])
    log(f"{len(formats)} formats byte-exact in {time.monotonic() - started:.1f} s")


def broadcast(args):
    """A broadcast destination (127.255.255.255, lo's broadcast address; inside this namespace
    nothing else exists): sent, because the driver sets SO_BROADCAST (without it the send is
    refused with EACCES and nothing arrives). The receiver listens on 0.0.0.0 of the namespace."""
    play_and_check(args, [Format("48000/16/2/0x3/1")], [], destination="127.255.255.255",
                   receive_on="0.0.0.0")
    log("broadcast destination: every datagram arrived")


def mute(args):
    """The topology mute node, set 1 s into RUN and cleared at 2 s: silence goes out in its
    place (the stream keeps its timing), then the signal again; read back through GET."""
    fmt = Format("48000/16/2/0x3/3")
    fmt.mute_at_ms, fmt.unmute_at_ms = 1000, 2000

    def mute_frames(recorded):
        portcls = recorded[PORTCLS_RECORD]
        on = fields(find(portcls, "mute set ")[0])
        off = fields(find(portcls, "mute cleared ")[0])
        check(on["status"] == off["status"] == "0x00000000" and on["read_back"] == "1" and
              off["read_back"] == "0", f"KSPROPERTY_AUDIO_MUTE: {on} {off}")
        fmt.mute_frames = (int(on["at_frame"]), int(off["at_frame"]))

    play_and_check(args, [fmt], [], before_datagrams=mute_frames)


def surprise(args):
    """IRP_MN_SURPRISE_REMOVAL while a stream runs; the audio engine then stops and closes the
    stream, REMOVE and unload follow: everything played up to STOP leaves, nothing after, and
    the teardown is clean (references, socket, WSK registration)."""
    fmt = Format("48000/16/2/0x3/3")
    fmt.surprise_at_ms = 1000
    recorded, _ = play_and_check(args, [fmt], [])
    portcls = recorded[PORTCLS_RECORD]
    check("surprise removal device=0" in portcls, "the driver did not pass SURPRISE_REMOVAL on")
    f = fields(find(portcls, "surprise_removal ")[0])
    check(f["status"] == "0x00000000", f"IRP_MN_SURPRISE_REMOVAL: {f}")
    played = int(fields(find(portcls, "played index=0")[0])["run_ms"])
    check(played < 1500, f"the stream ran {played} ms, not stopped after the removal")


def two_devices(args):
    """Two devices of one driver, each its own endpoint and socket: device 1 plays 3 s while
    device 0 plays 1 s and is removed; device 1 must go on, byte-exact, from its own socket."""
    first = Format("48000/16/2/0x3/1")
    second = Format("44100/24/2/0x3/3")
    receiver = Receiver()
    options = ["UnicastIPv4=s:127.0.0.1", f"UnicastPort=d:{receiver.port}"]
    try:
        recorded = run_driver(args, options, ["devices=2", first.scenario_line(),
                                              second.scenario_line()], 5)
    finally:
        receiver.stop()
    check_common_records(recorded, devices=2)
    portcls, netio = recorded[PORTCLS_RECORD], recorded[OPTIONS_RECORD]
    check(len([l for l in netio if l.startswith("socket ")]) == 2 and
          len(find(netio, "close ")) == 2, "expected one socket per device, each closed")
    played = {int(f["index"]): int(f["frames"]) for f in map(fields, find(portcls, "played index="))}
    removed_at = portcls.index("device 0 removed while device 1 plays")
    second_done = next(i for i, l in enumerate(portcls) if l.startswith("played index=1 "))
    check(removed_at < second_done, "device 0 was not removed while device 1 was still playing")
    by_source = {}
    for datagram in receiver.datagrams:
        by_source.setdefault(datagram[2], []).append(datagram)
    check(len(by_source) == 2, f"datagrams from {sorted(by_source)}, expected two sockets")
    groups = sorted(by_source.values(), key=lambda g: g[0][1][:HEADER_BYTES] != first.header())
    for index, (fmt, group) in enumerate(zip((first, second), groups)):
        count = check_stream(index, fmt, played[index], group)
        check(count == len(group), f"device {index}: {len(group) - count} datagrams after its stream")
    after = groups[1][-1][0] - groups[0][-1][0]
    check(after > 1.0, f"device 1 stopped sending {after:.2f} s after device 0's last datagram")
    sent = sum(int(c["sent"]) for c in map(fields, find(netio, "close ")))
    check(len(receiver.datagrams) == sent, f"received {len(receiver.datagrams)}, sent {sent}")
    log(f"device 1 went on for {after:.2f} s after device 0 was removed, byte-exact")


def silence(args):
    """SilenceThreshold: after that many all-zero frames the stream stops on the wire, at a frame
    boundary (the pending payload flushed), and the first frame of sound resumes it."""
    fmt = Format("48000/16/5/0x37/3")  # 5 channels: the cut falls inside a datagram
    fmt.silence_at, fmt.silence_frames, fmt.suppress_after = 40000, 48000, 4801
    recorded, _ = play_and_check(args, [fmt], [f"SilenceThreshold=d:{fmt.suppress_after}"])
    log(f"silence: frames {fmt.silence_at}-{fmt.silence_at + fmt.silence_frames} written as "
        f"zeros; {fmt.suppress_after} of them sent, the rest suppressed, then sound resumed")


def set_format(args):
    """SetFormat on a running stream (16 -> 24 bit): the buffer was sized for 16 bit, so the
    driver must refuse, and the stream must go on exactly as before."""
    fmt = Format("48000/16/2/0x3/2")
    fmt.set_format_bits = 24
    recorded, _ = play_and_check(args, [fmt], [])
    status = fields(find(recorded[PORTCLS_RECORD], "setformat ")[0])["status"]
    check(status != "0x00000000", "SetFormat on a running stream was accepted")
    log(f"SetFormat to 24 bit while running refused with {status}; the stream went on unchanged")


def registry(args):
    """Bind address and port take effect; a malformed, an out-of-range and a wrong-typed value
    each fall back to the default and are logged, and the stream still plays."""
    source_port = free_udp_port()
    options = [f"UnicastSrcIPv4=s:127.0.0.1", f"UnicastSrcPort=d:{source_port}",
               "TTL=d:999", "DSCP=s:46", "MulticastInterfaceIPv4=s:300.1.2.3"]
    recorded, receiver = play_and_check(args, [Format("48000/16/2/0x3/1")], options)
    check(receiver.sources == {("127.0.0.1", source_port)},
          f"datagrams came from {receiver.sources}, expected 127.0.0.1:{source_port}")
    rejected = [l for l in recorded["driver log"] if "ignored, default used" in l]
    for line in rejected:
        log(f"driver: {line}")
    for name in ("TTL", "DSCP", "MulticastInterfaceIPv4"):
        check(any(l.startswith(f"registry value {name} ") for l in rejected),
              f"no log line saying {name} was ignored")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_rate(datagrams, rate, frame_bytes):
    """Frame rate from arrival times. A datagram leaves once its last frame has played, later by
    up to a timer tick, or by a Wine stall (~150 ms): the least-late datagram of the first and
    of the last 2 s mark the clock, whatever happened in between."""
    frames_through = []
    total = 0
    for _, data, _ in datagrams:
        total += (len(data) - HEADER_BYTES) // frame_bytes
        frames_through.append(total)
    t0 = datagrams[0][0]
    lateness = [(t - t0) - frames / rate for (t, _, _), frames in zip(datagrams, frames_through)]
    span = frames_through[-1] / rate
    check(span >= 18, f"only {span:.1f} s of audio: too short to measure the rate")
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
    recorded = run_driver(args, options, [Format("48000/16/2/0x3/1").scenario_line()], 1)
    check_common_records(recorded)
    netio = recorded[OPTIONS_RECORD]
    check("refused destination=239.255.77.77 port=4010 (outside 127.0.0.0/8)" in netio,
          "the default multicast destination was not refused")
    closed = fields(find(netio, "close ")[0])
    check(closed["sent"] == "0" and int(closed["refused"]) > 0, f"sends: {closed}")
    got = options_set(netio)
    want = {(SOL_IP, IP_MULTICAST_TTL): 4, (SOL_IP, IP_MULTICAST_IF): 0x0100007F,
            (SOL_IP, IP_TOS): 46 << 2, **BROADCAST_ON}
    check(got == want, f"socket options recorded {got}, expected {want}")
    log(f"refused {closed['refused']} datagrams to 239.255.77.77:4010; options {got}")



# ---------------------------------------------------------------------------------------------
# IVSHMEM: the ivshmem double (ivshmem_double.cpp) maps a /dev/shm file for the driver, and the
# real receiver reads the same file while the driver writes it.

def chunk_bytes(fmt, chunk_ms=IVSHMEM_CHUNK_MS):
    return max(fmt.rate * chunk_ms // 1000, 1) * fmt.frame_bytes


class ShmFile:
    """A file in /dev/shm of `size` bytes, removed afterwards."""

    def __init__(self, name, size):
        self.path = f"/dev/shm/scream-wine-{name}-{os.getpid()}"
        with open(self.path, "wb") as f:
            f.truncate(size)

    def remove(self):
        if os.path.exists(self.path):
            os.unlink(self.path)


class IvshmemReader:
    """scream-recv -m PATH -o raw, its PCM into a file in /dev/shm."""

    def __init__(self, args, path):
        self.out_path = path + ".raw"
        self.err_path = path + ".stderr"
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.process = subprocess.Popen([args.recv, "-m", path, "-o", "raw", "-v"],
                                        stdout=self.out, stderr=self.err)
        time.sleep(0.5)  # mapped the file and waiting for a writer
        check(self.process.poll() is None, f"scream-recv -m exited: {self.log()}")

    def stop(self):
        time.sleep(0.3)  # the last chunks (the reader polls every 2 ms while streaming)
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        self.out.close()
        self.err.close()
        with open(self.out_path, "rb") as f:
            pcm = f.read()
        os.unlink(self.out_path)
        return code, pcm

    def log(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()


def ivshmem_scenario(devices):
    """Scenario lines of the double's devices: (bytes, ShmFile, fail_map_from)."""
    return [f"ivshmem bytes={size} path={shm.path} fail_map_from={fail}"
            for size, shm, fail in devices]


def ivshmem_records(recorded):
    lines = recorded[IVSHMEM_RECORD]
    check("imports patched=1" in lines, f"the double did not patch the two Wine stubs: {lines[:5]}")
    return lines


def check_ivshmem_pcm(formats, played, pcm, chunk_ms=IVSHMEM_CHUNK_MS):
    """`pcm` (the reader's output) must be, per stream, the signal up to its last whole chunk:
    the partial chunk at stop is dropped, as upstream's driver drops it."""
    position = 0
    for index, (fmt, frames) in enumerate(zip(formats, played)):
        expected = signal_bytes(0, frames, fmt.channels, fmt.bits // 8, fmt.valid_bits)
        chunk = chunk_bytes(fmt, chunk_ms)
        expected = expected[:len(expected) // chunk * chunk]
        got = pcm[position:position + len(expected)]
        name = f"stream {index} ({fmt})"
        if got != expected:
            first = next((i for i in range(min(len(got), len(expected))) if got[i] != expected[i]),
                         min(len(got), len(expected)))
            raise Failure(f"{name}: the reader's output differs from the signal at byte {first} "
                          f"(frame {first // fmt.frame_bytes}) of {len(expected)}; it has "
                          f"{len(pcm) - position} bytes from here")
        log(f"{name}: {len(expected)} bytes = {len(expected) // chunk} chunks of {chunk} bytes "
            f"({frames / fmt.rate:.2f} s played, {len(expected) // fmt.frame_bytes / fmt.rate:.2f} "
            f"s read) byte-exact through the IVSHMEM ring")
        position += len(expected)
    check(position == len(pcm), f"{len(pcm) - position} bytes after the last stream")


def ivshmem(args):
    """UseIVSHMEM = N: the driver finds the device of N MiB among two (the other is 1 MiB), maps
    it, writes 5 ms chunks while scream-recv -m -o raw reads them: byte-exact, nothing on the
    network; every mapping released, the header zeroed after each stream."""
    formats = [Format(text) for text in args.format]
    size = args.size_mib << 20
    target = ShmFile("ivshmem", size)
    other = ShmFile("other", 1 << 20)
    try:
        reader = IvshmemReader(args, target.path)
        udp = Receiver()
        options = [f"UseIVSHMEM=d:{args.size_mib}", "UnicastIPv4=s:127.0.0.1",
                   f"UnicastPort=d:{udp.port}"] + args.option
        scenario = ivshmem_scenario([(1 << 20, other, 0), (size, target, 0)]) + \
            [f.scenario_line() for f in formats]
        try:
            recorded = run_driver(args, options, scenario,
                                  sum((f.seconds + 0.5) * f.runs for f in formats))
        finally:
            udp.stop()
            code, pcm = reader.stop()
        recv_log = reader.log()
        for line in recv_log.splitlines()[-12:]:
            log(f"  scream-recv: {line}")
        with open(target.path, "rb") as f:
            header = f.read(24)
    finally:
        target.remove()
        other.remove()
    check(code == 0, f"scream-recv exited with {code}")
    check_common_records(recorded)
    driver_log = recorded["driver log"]
    check(any(l.startswith("IVSHMEM: ") and "is 1048576 bytes" in l and
              f"not the {args.size_mib} MiB of UseIVSHMEM" in l for l in driver_log),
          f"no log line about the 1 MiB device being passed over: {driver_log}")
    check(any(l.startswith("IVSHMEM: using ") and f"({size} bytes)" in l for l in driver_log),
          f"no log line naming the device used: {driver_log}")
    lines = ivshmem_records(recorded)
    mmaps = [fields(l) for l in lines if l.startswith("mmap ")]
    check(len(mmaps) == len(formats) and all(m["device"] == "1" and m["cache_mode"] == "1"
                                             for m in mmaps),
          f"one REQUEST_MMAP (cached) of device 1 per stream expected: {mmaps}")
    summary = {f["device"]: f for f in map(fields, find(lines, "summary "))}
    check(summary["1"]["maps"] == summary["1"]["releases"] == str(len(formats)) and
          summary["1"]["still_mapped"] == "0" and summary["0"]["maps"] == "0",
          f"mappings: {summary}")
    check(header == bytes(24), f"the header is not zeroed after the last stream: {header.hex()}")
    check(not udp.datagrams, f"{len(udp.datagrams)} datagrams went to the network")
    played = [int(f["frames"]) for f in map(fields, find(recorded[PORTCLS_RECORD], "played index="))]
    check(len(played) == len(formats), "not every stream played")
    check(recv_log.count("writer started") == len(formats) and
          recv_log.count("writer stopped") == len(formats),
          f"the reader should have seen {len(formats)} writer starts and stops (header zeroed)")
    chunk_ms = next((int(o.split(":", 1)[1]) for o in args.option
                     if o.startswith("IVSHMEMChunkMs=")), IVSHMEM_CHUNK_MS)
    check_ivshmem_pcm(formats, played, pcm, chunk_ms)


def ivshmem_wrong_size(args):
    """UseIVSHMEM = 2 with only a 1 MiB device: refused with a log line, the stream goes to the
    network, byte-exact, and the device is never mapped."""
    shm = ShmFile("small", 1 << 20)
    try:
        recorded, _ = play_and_check(args, [Format("48000/16/2/0x3/1")], ["UseIVSHMEM=d:2"],
                                     extra_scenario=ivshmem_scenario([(1 << 20, shm, 0)]))
    finally:
        shm.remove()
    driver_log = recorded["driver log"]
    for line in driver_log:
        if line.startswith("IVSHMEM"):
            log(f"driver: {line}")
    check(any("is 1048576 bytes" in l and "not the 2 MiB of UseIVSHMEM" in l for l in driver_log),
          "no log line saying the 1 MiB device was refused")
    check("IVSHMEM: no ivshmem device of 2 MiB; sending over the network" in driver_log,
          "no log line saying the driver falls back to the network")
    lines = ivshmem_records(recorded)
    check(not [l for l in lines if l.startswith("mmap ")], "the refused device was mapped")


def ivshmem_map_fails(args):
    """The device stops mapping (REQUEST_MMAP fails from the second request on, as when it went
    away): the first stream goes through IVSHMEM, the failure is logged, and the second stream
    goes to the network, byte-exact except for what was queued before the failure was seen."""
    first, second = Format("48000/16/2/0x3/2"), Format("48000/16/2/0x3/2")
    shm = ShmFile("fails", 2 << 20)
    try:
        reader = IvshmemReader(args, shm.path)
        udp = Receiver()
        options = ["UseIVSHMEM=d:2", "UnicastIPv4=s:127.0.0.1", f"UnicastPort=d:{udp.port}"]
        try:
            recorded = run_driver(args, options, ivshmem_scenario([(2 << 20, shm, 2)]) +
                                  [first.scenario_line(), second.scenario_line()], 5)
        finally:
            udp.stop()
            code, pcm = reader.stop()
    finally:
        shm.remove()
    check(code == 0, f"scream-recv exited with {code}")
    check_common_records(recorded)
    driver_log = recorded["driver log"]
    failed = [l for l in driver_log if l.startswith("IVSHMEM: REQUEST_MMAP failed")]
    check(len(failed) == 1 and failed[0].endswith("; sending over the network"),
          f"the mapping failure must be logged once: {[l for l in driver_log if 'IVSHMEM' in l]}")
    log(f"driver: {failed[0]}")
    played = [int(f["frames"]) for f in map(fields, find(recorded[PORTCLS_RECORD], "played index="))]
    check_ivshmem_pcm([first], played[:1], pcm)
    sent = b"".join(d[1][HEADER_BYTES:] for d in udp.datagrams)
    expected = signal_bytes(0, played[1], 2, 2)
    lost = len(expected) - len(sent)
    check(0 <= lost and expected.endswith(sent),
          f"second stream over the network: {len(sent)} bytes, not the end of the {len(expected)} "
          f"played")
    lost_ms = lost / second.frame_bytes / second.rate * 1000
    log(f"second stream: {len(sent)} bytes over the network, byte-exact; the first {lost_ms:.1f} ms, "
        f"queued for IVSHMEM before the failure was seen, are lost")
    check(lost_ms <= 100, f"{lost_ms:.1f} ms lost at the fallback (limit 100)")

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
    parser.add_argument("--recv", help="scream-recv (the ivshmem tests read with it)")
    parser.add_argument("--size-mib", type=int, default=2, help="IVSHMEM device size (ivshmem)")
    parser.add_argument("command", choices=["prefix", "stream", "product", "registry", "silence",
                                            "setformat", "refused", "twodevices", "mute",
                                            "surprise", "broadcast", "ivshmem",
                                            "ivshmem_wrong_size", "ivshmem_map_fails"])
    parser.add_argument("--seconds", type=float, default=0.1, help="RUN time per stream (product)")
    parser.add_argument("--format", action="append", default=[],
                        help="RATE/BITS/CHANNELS/MASK/SECONDS, once per stream, played in order")
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
        commands = {"prefix": make_prefix, "stream": stream, "product": product,
                    "twodevices": two_devices, "mute": mute, "surprise": surprise,
                    "broadcast": broadcast, "registry": registry, "silence": silence,
                    "setformat": set_format, "ivshmem": ivshmem,
                    "ivshmem_wrong_size": ivshmem_wrong_size,
                    "ivshmem_map_fails": ivshmem_map_fails}
        commands.get(args.command, refused)(args)
    except Failure as failure:
        log(f"FAILED: {failure}")
        return 1
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
