#!/usr/bin/env python3
"""Consistency of scream.inf with the driver: interface names equal the PcRegisterSubdevice names,
KS category GUIDs equal the headers' (KSCATEGORY_REALTIME as WINDOWS-DRIVER.md gives it), the
service is "Scream" (registry path of the options), the hardware id is the installer's.
Usage: inf_check.py scream.inf [adapter.cpp scream_install.cpp]"""
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
}


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
    if len(sys.argv) == 4:
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
