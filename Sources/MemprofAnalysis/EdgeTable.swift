/// Dense numbering of caller-to-callee pairs: an open-addressing hash table from a pair of
/// node indices to the pair's number (0, 1, 2, … in order of first insertion).
///
/// Building a call graph looks up one pair per frame of every sample; the standard
/// library's seeded hashing of a `Hashable` key dominated that, so the table hashes the
/// packed pair with one multiplication instead.
struct EdgeTable {
    /// Packed pairs (`caller << 32 | callee`), `empty` where free.
    private var keys: [UInt64]
    /// Number of the pair stored at the same slot of `keys`.
    private var values: [Int32]
    private var shift: UInt64
    /// Number of pairs stored.
    private(set) var count = 0

    private static let empty = UInt64.max

    /// A table sized for about `expected` pairs without growing.
    init(expected: Int = 16) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    @inline(__always)
    private static func pack(_ caller: Int, _ callee: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: caller) << 32 | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: callee))
    }

    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The number of the pair, if it was inserted.
    func find(_ caller: Int, _ callee: Int) -> Int? {
        let key = Self.pack(caller, callee)
        let mask = keys.count - 1
        var i = slot(of: key)
        while true {
            let k = keys[i]
            if k == key { return Int(values[i]) }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// The number of the pair, inserting it with the next number if it is new.
    @inline(__always)
    mutating func findOrInsert(_ caller: Int, _ callee: Int) -> (index: Int, inserted: Bool) {
        let key = Self.pack(caller, callee)
        let mask = keys.count - 1
        var i = slot(of: key)
        while true {
            let k = keys[i]
            if k == key { return (Int(values[i]), false) }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        let index = count
        keys[i] = key
        values[i] = Int32(truncatingIfNeeded: index)
        count += 1
        if count * 2 > keys.count { grow() }
        return (index, true)
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let capacity = oldKeys.count * 2
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        let mask = capacity - 1
        for j in oldKeys.indices where oldKeys[j] != Self.empty {
            var i = slot(of: oldKeys[j])
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
        }
    }
}
