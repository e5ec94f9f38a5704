#!/bin/bash
# Re-creates the ELF seeds in ../elf from the two C files here: tiny static binaries (a few
# KiB, no page padding) with DWARF 4 and 5 from gcc and clang, an inlined function, zlib-
# compressed debug sections, a stripped copy with .gnu_debuglink to a separate debug file,
# and symbols with Swift mangled names (clang: gas rejects `$` in names).
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
