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
        if values.count > 2 {
            message(field) { w in
                for v in values { w.varint(UInt64(bitPattern: v)) }
            }
        } else {
            for v in values { uint64(field, UInt64(bitPattern: v)) }
        }
    }

    mutating func string(_ field: Int, _ value: String) {
        tag(field, 2)
        let utf8 = value.utf8
        varint(UInt64(utf8.count))
        bytes.reserveOnGrid(adding: utf8.count)
        bytes.append(contentsOf: utf8)
    }

    /// An embedded message (or packed run): its tag, a byte for its length, then the body in
    /// place; the length is written into that byte when it fits (under 128 bytes, nearly every
    /// message of a profile), else its varint takes the byte's place and the bytes after it.
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, 2)
        bytes.reserveOnGrid(adding: 1)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        var length = UInt64(bytes.count - lengthAt - 1)
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var size = 1
        while length >> (7 * size) != 0 { size += 1 }
        bytes.reserveOnGrid(adding: size - 1)
        bytes.insert(contentsOf: repeatElement(0, count: size - 1), at: lengthAt + 1)
        for i in 0..<size {
            bytes[lengthAt + i] = UInt8(truncatingIfNeeded: length) | (i < size - 1 ? 0x80 : 0)
            length >>= 7
        }
    }
}
