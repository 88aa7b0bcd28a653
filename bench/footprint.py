#!/usr/bin/env python3
"""The memory a group of processes holds together: every resident page counted once, however many of
the processes map it (root: reads /proc/PID/pagemap for page frame numbers). Next to it the sums of
RSS (shared pages counted once per process), PSS (shared pages split among every process on the
system that maps them, ours or not) and USS (pages only one process maps).

  footprint.py PID...   →   "FOOTPRINT_KB RSS_KB PSS_KB USS_KB"
"""
import re
import struct
import sys

PAGE = 4096


def resident_frames(pid):
    frames = set()
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/pagemap" % pid, "rb") as pagemap:
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            if line.rstrip().endswith("[vsyscall]"):
                continue
            pages = (end - start) // PAGE
            pagemap.seek(start // PAGE * 8)
            data = pagemap.read(pages * 8)
            for (entry,) in struct.iter_unpack("<Q", data):
                if entry >> 63 & 1:  # present
                    frames.add(entry & ((1 << 55) - 1))
    return frames


def rollup(pid):
    values = {}
    with open("/proc/%s/smaps_rollup" % pid) as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                values[m.group(1)] = int(m.group(2))
    return values


def main():
    frames = set()
    rss = pss = uss = 0
    for pid in sys.argv[1:]:
        try:
            frames |= resident_frames(pid)
            r = rollup(pid)
        except OSError:
            continue
        rss += r.get("Rss", 0)
        pss += r.get("Pss", 0)
        uss += r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
    print(len(frames) * PAGE // 1024, rss, pss, uss)


if __name__ == "__main__":
    main()
