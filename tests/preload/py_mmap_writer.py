#!/usr/bin/env python3
"""Writes rounds through Python's mmap module and commits with flush(), for `famsync run` tests.
   py_mmap_writer.py FILE ROUNDS   each round stores the round number in every 8-byte word of
                                   the 64 KiB file (page-interleaved), flush()es, prints it.
The checker is preload_writer's `check` mode (same layout)."""
import mmap
import os
import struct
import sys

SIZE = 64 * 1024
path, rounds = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
if os.fstat(fd).st_size < SIZE:
    os.ftruncate(fd, SIZE)
mm = mmap.mmap(fd, SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
start = struct.unpack_from("<Q", mm, 0)[0]
for r in range(start + 1, start + rounds + 1):
    word = struct.pack("<Q", r)
    chunk = word * 64  # 512 bytes
    for off in range(0, 4096, 512):
        for page in range(16):
            mm[page * 4096 + off: page * 4096 + off + 512] = chunk
    mm.flush()
    print(r, flush=True)
mm.close()
os.close(fd)
