#!/bin/bash
# Re-creates the ELF seeds in ../elf from the two C files here: tiny static binaries (a few
# KiB, no page padding) with DWARF 4 and 5 from gcc and clang, an inlined function, zlib-
# compressed debug sections, a stripped copy with .gnu_debuglink to a separate debug file,
# symbols with Swift mangled names (clang: gas rejects `$` in names), and a copy whose inlined
# calls are their own abstract origins.
set -euo pipefail
cd "$(dirname "$0")"
out=../elf
flags=(-O1 -nostdlib -static -Wl,--build-id)
gcc -g -gdwarf-4 "${flags[@]}" -Wl,-N -o "$out/tiny-dwarf4" tiny.c
gcc -g -gdwarf-5 "${flags[@]}" -Wl,-N -o "$out/tiny-dwarf5" tiny.c
gcc -g -gdwarf-5 "${flags[@]}" -Wl,-N -Wl,--compress-debug-sections=zlib -o "$out/tiny-zdebug" tiny.c
objcopy --only-keep-debug "$out/tiny-dwarf5" "$out/tiny.debug"
strip -g "$out/tiny-dwarf5" -o "$out/tiny-stripped"
objcopy --add-gnu-debuglink="$out/tiny.debug" "$out/tiny-stripped" "$out/tiny-debuglink"
clang -g -gdwarf-5 "${flags[@]}" -o "$out/tiny-clang" tiny.c
clang -g -gdwarf-4 -gsplit-dwarf=single "${flags[@]}" -o "$out/tiny-clang-dwarf4" tiny.c
clang -g -gdwarf-5 "${flags[@]}" -o "$out/tiny-swiftnames" swiftnames.c
# Cycles in DIE references: each inlined call's DW_AT_abstract_origin (ref4, one unit at offset
# 0) made to point at its own DIE. (gdb loops forever on this file.)
python3 - "$out/tiny-dwarf5" "$out/tiny-die-cycle" <<'PY'
import re, struct, subprocess, sys
src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, 'rb').read())
sections = subprocess.run(['readelf', '-W', '-S', src], capture_output=True, text=True).stdout
base = int(re.search(r'\.debug_info\s+\S+\s+\S+\s+([0-9a-f]+)', sections).group(1), 16)
info = subprocess.run(['readelf', '--debug-dump=info', src], capture_output=True, text=True).stdout
die = None
for line in info.splitlines():
    m = re.match(r'\s*<\d+><([0-9a-f]+)>: Abbrev Number: \d+ \((\w+)\)', line)
    if m:
        die = int(m.group(1), 16) if m.group(2) == 'DW_TAG_inlined_subroutine' else None
        continue
    m = re.match(r'\s*<([0-9a-f]+)>\s+DW_AT_abstract_origin', line)
    if m and die is not None:
        struct.pack_into('<I', data, base + int(m.group(1), 16), die)
open(dst, 'wb').write(data)
PY
