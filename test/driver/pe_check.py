#!/usr/bin/env python3
"""Structural checks of the cross-built Windows driver image (scream.sys).

Checks: AMD64 PE32+, native subsystem, base relocations present, NX and dynamic base, no section
both writable and executable, a correct image checksum (computed here independently of the
build's tools/pe_checksum.cpp), imports only from the kernel modules a PortCls/WSK driver may
use, and no static constructor (_GLOBAL__sub_I) in the image or its objects.
Usage: pe_check.py IMAGE [--objects DIR] [--nm NM]
"""
import argparse
import array
import glob
import struct
import subprocess
import sys

ALLOWED_IMPORTS = {"ntoskrnl.exe", "hal.dll", "portcls.sys", "ks.sys", "netio.sys"}
IMAGE_FILE_MACHINE_AMD64 = 0x8664
PE32_PLUS = 0x20B
SUBSYSTEM_NATIVE = 1
DYNAMIC_BASE = 0x0040
NX_COMPAT = 0x0100
RELOCS_STRIPPED = 0x0001
SCN_EXECUTE = 0x20000000
SCN_WRITE = 0x80000000


def checksum(image, checksum_offset):
    """Sum of the little-endian 16-bit words (checksum field as zero), carries folded, + length."""
    data = bytearray(image)
    data[checksum_offset:checksum_offset + 4] = b"\0\0\0\0"
    if len(data) % 2:
        data.append(0)
    words = array.array("H")
    words.frombytes(bytes(data))
    if sys.byteorder != "little":
        words.byteswap()
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total + len(image)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image")
    parser.add_argument("--objects")
    parser.add_argument("--nm", default="x86_64-w64-mingw32-nm")
    args = parser.parse_args()
    image = open(args.image, "rb").read()
    failures = []

    def expect(condition, message):
        print(("ok    " if condition else "FAIL  ") + message)
        if not condition:
            failures.append(message)

    pe = struct.unpack_from("<I", image, 0x3C)[0]
    expect(image[:2] == b"MZ" and image[pe:pe + 4] == b"PE\0\0", "PE signature")
    machine, sections, _, _, _, optional_size, characteristics = struct.unpack_from(
        "<HHIIIHH", image, pe + 4)
    optional = pe + 24
    magic = struct.unpack_from("<H", image, optional)[0]
    expect(machine == IMAGE_FILE_MACHINE_AMD64, "machine AMD64 (0x%04x)" % machine)
    expect(magic == PE32_PLUS, "PE32+ optional header (0x%03x)" % magic)
    stored_checksum, subsystem, dll_characteristics = struct.unpack_from("<IHH", image, optional + 64)
    expect(subsystem == SUBSYSTEM_NATIVE, "subsystem native (%d)" % subsystem)
    expect(dll_characteristics & DYNAMIC_BASE, "DYNAMIC_BASE")
    expect(dll_characteristics & NX_COMPAT, "NX_COMPAT")
    expect(not characteristics & RELOCS_STRIPPED, "relocations not stripped")
    directories = optional + 112  # PE32+: data directories start here
    reloc_rva, reloc_size = struct.unpack_from("<II", image, directories + 5 * 8)
    expect(reloc_rva != 0 and reloc_size > 0, "base relocation directory present")
    computed = checksum(image, optional + 64)
    expect(stored_checksum == computed,
           "checksum 0x%08x (computed 0x%08x)" % (stored_checksum, computed))

    section_table = optional + optional_size
    spans = []
    for i in range(sections):
        entry = section_table + 40 * i
        name = image[entry:entry + 8].rstrip(b"\0").decode("ascii", "replace")
        vsize, va, raw_size, raw_ptr = struct.unpack_from("<IIII", image, entry + 8)
        flags = struct.unpack_from("<I", image, entry + 36)[0]
        expect(not (flags & SCN_EXECUTE and flags & SCN_WRITE), "section %s not W+X" % name)
        spans.append((va, max(vsize, raw_size), raw_ptr))

    def file_offset(rva):
        for va, size, raw in spans:
            if va <= rva < va + size:
                return rva - va + raw
        raise ValueError("RVA 0x%x outside every section" % rva)

    import_rva, _ = struct.unpack_from("<II", image, directories + 1 * 8)
    imports = set()
    if import_rva:
        at = file_offset(import_rva)
        while True:
            descriptor = struct.unpack_from("<IIIII", image, at)
            if not any(descriptor):
                break
            name_at = file_offset(descriptor[3])
            imports.add(image[name_at:image.index(b"\0", name_at)].decode("ascii").lower())
            at += 20
    expect(bool(imports), "imports present: %s" % ", ".join(sorted(imports)))
    extra = imports - ALLOWED_IMPORTS
    expect(not extra, "imports only from %s (extra: %s)" %
           (", ".join(sorted(ALLOWED_IMPORTS)), ", ".join(sorted(extra)) or "none"))

    files = [args.image] + (sorted(glob.glob(args.objects + "/*.o")) if args.objects else [])
    for path in files:
        symbols = subprocess.run([args.nm, path], capture_output=True, text=True).stdout
        expect("_GLOBAL__sub_I" not in symbols, "no static constructor in %s" % path)

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
