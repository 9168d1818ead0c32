#!/usr/bin/env python3
"""Consistency of scream.inf with the driver: interface names equal the PcRegisterSubdevice names,
KS category GUIDs equal the headers' (KSCATEGORY_REALTIME as WINDOWS-DRIVER.md gives it), the
service is "Scream" (registry path of the options), the hardware id is the installer's; the
topology interface opts endpoint 0 in to event-driven mode only if the wave stream really
implements notification events.
Usage: inf_check.py scream.inf [adapter.cpp scream_install.cpp]"""
import os
import re
import sys

EXPECTED_STRINGS = {
    "KSNAME_Wave": '"Wave"',
    "KSNAME_Topology": '"Topology"',
    "KSCATEGORY_AUDIO": '"{6994AD04-93EF-11D0-A3CC-00A0C9223196}"',
    "KSCATEGORY_RENDER": '"{65E8773E-8F56-11D0-A3B9-00A0C9223196}"',
    "KSCATEGORY_REALTIME": '"{EB115FFC-10C8-4964-831D-6DCB02E6F23F}"',
    "KSCATEGORY_TOPOLOGY": '"{DDA54A40-1E4C-11D1-A050-405705C10000}"',
    "Scream.DeviceDesc": '"Scream (Network)"',
    "PKEY_AudioEndpoint_Association": '"{1DA5D803-D492-4EDD-8C23-E0C0FFEE7F0E},2"',
    "PKEY_AudioEndpoint_Supports_EventDriven_Mode": '"{1DA5D803-D492-4EDD-8C23-E0C0FFEE7F0E},7"',
    "KSNODETYPE_ANY": '"{00000000-0000-0000-0000-000000000000}"',
}


def section(text, name):
    match = re.search(r"^\[" + re.escape(name) + r"\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def main():
    text = open(sys.argv[1], encoding="ascii").read()
    failures = []
    strings = dict(re.findall(r"^(\S+)\s*=\s*(\".*\")\s*$", text, re.M))
    for key, value in EXPECTED_STRINGS.items():
        if strings.get(key) != value:
            failures.append("%s is %s, expected %s" % (key, strings.get(key), value))
    for needed in [r"ROOT\\ScreamNetwork", r"AddService\s*=\s*Scream,", r"Class\s*=\s*MEDIA",
                   r"Needs\s*=\s*KS.Registration,\s*WDMAUDIO.Registration",
                   r"%KSCATEGORY_REALTIME%,\s*%KSNAME_Wave%", r"%KSCATEGORY_TOPOLOGY%,\s*%KSNAME_Topology%"]:
        if not re.search(needed, text):
            failures.append("missing: " + needed)
    topology = section(text, "Scream.Interface.Topology.AddReg")
    event_driven = re.search(r"^HKR,EP\\0,%PKEY_AudioEndpoint_Supports_EventDriven_Mode%,0x00010001,0x1\s*$",
                             topology, re.M)
    if not event_driven or not re.search(r"^HKR,EP\\0,%PKEY_AudioEndpoint_Association%,,%KSNODETYPE_ANY%",
                                         topology, re.M):
        failures.append("topology interface does not opt endpoint 0 in to event-driven mode")
    if len(sys.argv) == 4:
        stream = open(os.path.join(os.path.dirname(sys.argv[2]), "wave_stream.h"), encoding="utf-8").read()
        for needed in ("IMiniportWaveRTStreamNotification", "AllocateBufferWithNotification",
                       "RegisterNotificationEvent"):
            if event_driven and needed not in stream:
                failures.append("event-driven mode advertised but wave_stream.h lacks " + needed)
        adapter = open(sys.argv[2], encoding="utf-8").read()
        installer = open(sys.argv[3], encoding="utf-8").read()
        for name in ('L"Wave"', 'L"Topology"'):
            if name not in adapter:
                failures.append("adapter.cpp does not register subdevice " + name)
        if 'L"ROOT\\\\ScreamNetwork' not in installer:
            failures.append("installer hardware id differs from the INF's")
    for failure in failures:
        print("FAIL  " + failure)
    print("%d problem(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
