import MemprofSymbolication

extension MemprofRequestHandler {
    /// Go's `/debug/pprof/symbol`: `go tool pprof` posts the addresses it could not name,
    /// hexadecimal and joined by `+`, and reads back one `0xADDR name` line per address it
    /// knows, then `num_symbols: 1` (any number above 0 says symbols are available). Without
    /// this route pprof gives up on the whole profile when one library has no symbols. Swift
    /// functions get the compact names our profiles carry (`Module.Type.f(_:at:)`).
    func serveSymbols(_ query: [UInt8]) async -> MemprofResponse {
        let addresses = query.split(separator: UInt8(ascii: "+")).compactMap { Self.parseAddress($0) }
        let state = self.state
        do {
            let text = try await BlockingWork.run { () -> String in
                var text = ""
                if !addresses.isEmpty {
                    // One batch: each module's symbol table and DWARF units are read once for
                    // all the addresses (one lookup at a time read them once per address,
                    // about 1 ms each, and held up every other route behind the request).
                    let frames = try state.symbolizer().symbolize(addresses)
                    for address in addresses {
                        guard let frame = frames[address]?.first else { continue }
                        text += "0x\(String(address, radix: 16)) \(ProfileBuilder.profileName(frame))\n"
                    }
                }
                return text + "num_symbols: 1\n"
            }
            return .text(text)
        } catch {
            return .error(500, "cannot symbolize: \(error)")
        }
    }

    /// `0x1f`, `1f`... as Go's `strconv.ParseUint(word, 0, 64)` reads them (hex with 0x,
    /// else decimal); nil for anything else or zero.
    static func parseAddress(_ word: ArraySlice<UInt8>) -> UInt64? {
        let text = String(decoding: word, as: UTF8.self).trimmingWhitespace
        guard text.count <= 18 else { return nil }
        let value = text.hasPrefix("0x") || text.hasPrefix("0X") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        return value == 0 ? nil : value
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
