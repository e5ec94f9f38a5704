/// The locations of a legacy text profile, one per distinct address, and the names its `#`
/// lines give them.
struct LegacyStacks {
    let symbols: Bool
    private var index: [UInt64: UInt64] = [:]
    private var frames: [UInt64: [(name: String, file: String, line: Int64)]] = [:]

    init(symbols: Bool) { self.symbols = symbols }

    /// The id of the location of a return address (the call: the address minus one, as pprof
    /// takes every frame's), added to `p` if new.
    mutating func location(returnAddress: UInt64, in p: inout Profile) -> UInt64 {
        let address = returnAddress &- 1
        if let id = index[address] { return id }
        let id = UInt64(p.locations.count + 1)
        p.locations.append(Location(id: id, address: address))
        index[address] = id
        return id
    }

    /// The locations of a record's return addresses (hex digits without `0x`), added if new;
    /// an address over 64 bits is an error naming the record's `line`.
    mutating func locations(_ addresses: [[UInt8]], of line: [UInt8], in p: inout Profile) throws(ProfileError) -> [UInt64] {
        var ids: [UInt64] = []
        for hex in addresses {
            guard let address = UInt64(hexDigits: hex) else {
                throw ProfileError(.malformed, "malformed sample: \(printable(String(decoding: line.prefix(200), as: UTF8.self))): "
                    + "failed to parse as hex 64-bit number: 0x" + String(decoding: hex, as: UTF8.self))
            }
            ids.append(location(returnAddress: address, in: &p))
        }
        return ids
    }

    /// Whether `trimmed` (a line without its surrounding white space) is blank or a comment,
    /// which records skip; a comment that is a frame `#	0xPC	name+0xOFF	file:line` is kept
    /// for `name`.
    mutating func skips(_ trimmed: [UInt8]) -> Bool {
        guard trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") else { return false }
        if symbols, let frame = LegacyFrame(trimmed) { frames[frame.pc, default: []].append(frame.symbol) }
        return true
    }

    /// Gives each location the frames the `#` lines named at its address (several lines at
    /// one address: inlined frames, innermost first).
    func name(_ p: inout Profile) {
        var functionIndex: [String: UInt64] = [:]
        for i in p.locations.indices {
            guard let named = frames[p.locations[i].address] else { continue }
            p.locations[i].lines = named.map { frame in
                let key = frame.name + "\u{0}" + frame.file
                if let id = functionIndex[key] { return Line(functionID: id, line: frame.line) }
                let id = UInt64(p.functions.count + 1)
                p.functions.append(Function(id: id, name: frame.name, systemName: frame.name, filename: frame.file))
                functionIndex[key] = id
                return Line(functionID: id, line: frame.line)
            }
        }
    }
}
