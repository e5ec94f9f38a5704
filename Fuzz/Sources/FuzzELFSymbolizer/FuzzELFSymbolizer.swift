import FuzzSupport
import MemprofSymbolication

/// The ELF/DWARF reader on any bytes, as the symbolizer meets a damaged or hostile file on
/// disk: the input is written to a file, read with `BinaryInfo.inspect(path:)` (headers,
/// sections, symbol table, build ID, debug link, compile units) and symbolized with
/// `Symbolizer(file:)` (symbol lookup, DWARF units, abbreviations, line tables, range lists,
/// inline trees, compressed sections, demangling) at up to 24 addresses taken from the input
/// itself: every aligned 64-bit word that looks like a small static address (symbol values,
/// `DW_AT_low_pc`...), and a few bytes after each. Errors are expected; a trap, a sanitizer
/// report, an unbounded allocation or a hang is a finding.
///
/// The file is named `tiny.debug`, the debug link of the `tiny-debuglink` seed, so a
/// `.gnu_debuglink` naming it finds the input itself.
@main
enum FuzzELFSymbolizer {
    static func main() {
        // tmpfs when there is one: ext4 flushes a truncated-and-rewritten file on close,
        // which made each input cost milliseconds.
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let directory = "\(base)/memprof-fuzz-elf-\(getpid())"
        mkdir(directory, 0o700)
        path = directory + "/tiny.debug"
        let status = runFuzzer(fuzzOne)
        unlink(path)
        rmdir(directory)
        exit(status)
    }
}

nonisolated(unsafe) private var path = ""

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    var written = 0
    while written < size, let data {
        let n = write(fd, data + written, size - written)
        precondition(n > 0, "cannot write \(path)")
        written += n
    }
    close(fd)

    _ = try? BinaryInfo.inspect(path: path)

    var addresses: [UInt64] = []
    if let data {
        var offset = 0
        while offset + 8 <= size && addresses.count < 24 {
            let word = UnsafeRawPointer(data + offset).loadUnaligned(as: UInt64.self)
            if (0x1000..<0x100_0000).contains(word) && !addresses.contains(word) {
                addresses += [word, word + 5]
            }
            offset += 8
        }
    }
    let symbolizer = Symbolizer(file: path)
    let frames = symbolizer.symbolize(addresses)
    precondition(Set(frames.keys) == Set(addresses), "an address is missing from the answer")
    for address in addresses.prefix(2) { _ = symbolizer.symbolize(address) }
    return 0
}
