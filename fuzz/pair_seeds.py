#!/usr/bin/env python3
"""Writes fuzz_pair inputs (fuzz/fuzz_pair.c) made of the lab's two-point
fixtures: for every fixture whose args name two captures, an options byte,
the first capture's length (4 bytes, little-endian), the first capture, the
second. Three per pair: JSON with a budget that holds every record
(options 0), text with one small enough to spill records to the temporary
files (options 3), HTML (options 4).
    fuzz/pair_seeds.py FIXTURES_DIR OUT_DIR"""
import os
import struct
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
fixtures, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name in sorted(os.listdir(fixtures)):
    args = os.path.join(fixtures, name, 'args')
    if not os.path.isfile(args):
        continue
    files = [w for w in open(args).read().split() if w.endswith(('.pcap', '.pcapng'))]
    paths = [os.path.join(fixtures, name, f) for f in files]
    if len(paths) != 2 or not all(os.path.isfile(p) for p in paths):
        continue
    a, b = (open(p, 'rb').read() for p in paths)
    for options in (0, 3, 4):
        with open(os.path.join(out, 'pair-%s-%d' % (name, options)), 'wb') as f:
            f.write(bytes([options]) + struct.pack('<I', len(a)) + a + b)
