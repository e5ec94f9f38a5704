#!/usr/bin/env python3
"""Are memprof's stacks heaptrack's? Compares a memprof profile (`memprof run --rate 1`, read
through `go tool pprof -raw`) with heaptrack's raw data (`heaptrack -r`, decompressed) of the
same program, frame for frame: each frame as (module file, return address - the module's
lowest loaded address), leaf first, so that load addresses do not matter.

memprof's profiles drop allocator plumbing from the leaf end (swift_slowAlloc,
swift_allocObject, operator new, ...): a stack of ours also counts as heaptrack's when it is
one of heaptrack's without such leading frames (in libswiftCore or libstdc++). The frame a
signal interrupted differs by one byte: heaptrack subtracts 1 from every address, memprof adds
1 to the interrupted pc so that every address is a return address; a frame one byte apart is
the same frame (two call sites are at least two bytes apart). heaptrack keeps
at most 64 frames (61-62 below its own), memprof 128: a deeper stack of ours whose first
frames are a whole heaptrack stack is counted apart.

Usage: heaptrack_frames.py PPROF_RAW_TEXT HEAPTRACK_RAW_TEXT
Prints one line: the share of our allocations (and bytes) whose stacks are heaptrack's."""
import collections, os, re, sys


def module(path):  # libz.so.1 and libz.so.1.2.13 are one file
    return re.sub(r'\.so(\.\d+)*$', '.so', os.path.basename(path))


def ours(path):
    mode = None; samples = []; locs = {}; maps = {}
    for line in open(path):
        if line.startswith('Samples:'): mode = 's'; continue
        if line.startswith('Locations'): mode = 'l'; continue
        if line.startswith('Mappings'): mode = 'm'; continue
        if mode == 's':
            m = re.match(r'^\s+(\d+)\s+(\d+)\s+.*:\s*([\d ]*)$', line)
            if m: samples.append((int(m.group(1)), int(m.group(2)), [int(x) for x in m.group(3).split()]))
        elif mode == 'l':
            m = re.match(r'^\s+(\d+): (0x[0-9a-f]+) M=(\d+)\s*(\S*)', line)
            if m: locs[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3)), m.group(4))
        elif mode == 'm':
            m = re.match(r'^(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (\S+)', line)
            if m: maps[int(m.group(1))] = (int(m.group(2), 16), int(m.group(4), 16), m.group(5))
    out = []
    for count, size, ids in samples:
        if ids and locs[ids[0]][2].startswith('[memprof'): continue  # the profiler's own memory
        frames = []
        for i in ids:
            addr, mid, _ = locs[i]
            start, off, f = maps.get(mid, (0, 0, '?'))
            frames.append((module(f), addr - (start - off)))
        out.append((count, size, tuple(frames)))
    return out


def heaptrack(path):
    exe = '?'; modules = []; traces = [None]; stacks = []
    for line in open(path):
        f = line.split()
        if not f: continue
        if f[0] == 'x': exe = line.split(' ', 2)[2].strip()
        elif f[0] == 'm':
            if f[2] == '-': modules = []; continue
            v = [int(x, 16) for x in f[3:]]
            modules.append((module(exe if f[2] == 'x' else f[2]), v[0], list(zip(v[1::2], v[2::2]))))
        elif f[0] == 't':
            ip = int(f[1], 16); frame = None
            for name, base, segs in modules:
                if any(base + a <= ip < base + a + n for a, n in segs):
                    frame = (name, ip + 1 - base - segs[0][0]); break  # heaptrack keeps return address - 1
            traces.append((frame, int(f[2], 16)))
        elif f[0] == '+':
            t = int(f[2], 16); frames = []
            while t:
                frame, t = traces[t]
                if frame is None or frame[0] != 'libheaptrack_preload.so': frames.append(frame)
            stacks.append(tuple(frames))
    return stacks


mine = ours(sys.argv[1]); theirs = heaptrack(sys.argv[2])
forms = set()
for s in theirs:
    forms.add(s)
    if s and s[0] and s[0][0] in ('libswiftCore.so', 'libstdc++.so'):
        for i in range(1, min(len(s), 9)): forms.add(s[i:])
limited = {s for s in theirs if len(s) >= 60}
by_shape = collections.defaultdict(list)
for s in set(theirs): by_shape[(len(s), s[0] if s else None)].append(s)


def near(s):  # one of heaptrack's stacks, each frame within one byte
    return any(all(a == b or (a and b and a[0] == b[0] and abs(a[1] - b[1]) <= 1) for a, b in zip(s, h))
               for h in by_shape.get((len(s), s[0] if s else None), []))


n = sum(c for c, _, _ in mine); b = sum(z for _, z, _ in mine)
same_n = same_b = cut_n = 0
for c, z, s in mine:
    if s in forms or near(s): same_n += c; same_b += z
    elif len(s) > 60 and any(s[:len(h)] == h for h in limited): cut_n += c
print("%6.2f%% of allocations (%6.2f%% of bytes) have heaptrack's stack, frame for frame; "
      "%.2f%% more are heaptrack's first %s frames (its limit); %d vs %d allocations"
      % (100.0 * same_n / n, 100.0 * same_b / b, 100.0 * cut_n / n, "61-62", n, len(theirs)))
