/// An append-only protobuf wire writer, following the choices of pprof's Go encoder so that
/// output matches it byte for byte: zero scalars are omitted (`...Opt`), repeated varints are
/// packed only when there are more than two, and embedded messages are length-prefixed.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var x = value
        bytes.reserveOnGrid(adding: 10)
        while x >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    private mutating func tag(_ field: Int, _ wireType: Int) {
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    /// A varint field, written even when zero.
    mutating func uint64(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        varint(value)
    }

    /// A varint field, omitted when zero.
    mutating func uint64Opt(_ field: Int, _ value: UInt64) {
        if value != 0 { uint64(field, value) }
    }

    mutating func int64(_ field: Int, _ value: Int64) {
        uint64(field, UInt64(bitPattern: value))
    }

    mutating func int64Opt(_ field: Int, _ value: Int64) {
        if value != 0 { int64(field, value) }
    }

    mutating func boolOpt(_ field: Int, _ value: Bool) {
        if value { uint64(field, 1) }
    }

    /// A repeated varint field: packed when it has more than two elements, as pprof does.
    mutating func uint64s(_ field: Int, _ values: [UInt64]) {
        if values.count > 2 {
            message(field) { w in
                for v in values { w.varint(v) }
            }
        } else {
            for v in values { uint64(field, v) }
        }
    }

    mutating func int64s(_ field: Int, _ values: [Int64]) {
        uint64s(field, values.map { UInt64(bitPattern: $0) })
    }

    mutating func string(_ field: Int, _ value: String) {
        tag(field, 2)
        let utf8 = value.utf8
        varint(UInt64(utf8.count))
        bytes.reserveOnGrid(adding: utf8.count)
        bytes.append(contentsOf: utf8)
    }

    /// An embedded message (or packed run): the body is written in place, then its tag and
    /// length are inserted in front of it.
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        let start = bytes.count
        body(&self)
        var header = ProtoWriter()
        header.tag(field, 2)
        header.varint(UInt64(bytes.count - start))
        bytes.reserveOnGrid(adding: header.bytes.count)
        bytes.insert(contentsOf: header.bytes, at: start)
    }
}
