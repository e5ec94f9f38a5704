/// One field of a protobuf message as it appears on the wire.
struct ProtoField {
    /// Field number (1 ... 2^29-1).
    var number: Int
    /// Wire type: 0 varint, 1 fixed64, 2 length-delimited, 3 group (skipped), 5 fixed32.
    var wireType: Int
    /// The scalar value for wire types 0, 1 and 5.
    var value: UInt64
    /// Payload range for wire type 2 (absolute byte offsets).
    var start: Int
    var end: Int
    /// Offset of the field's tag, for error messages.
    var offset: Int
}

/// A forward-only protobuf wire reader over a byte buffer, with absolute offsets for errors.
///
/// It never reads past `end`, rejects lengths that exceed the bytes remaining, varints longer
/// than 64 bits and invalid wire types, and skips unknown groups up to a nesting limit.
struct ProtoReader {
    let buf: UnsafeBufferPointer<UInt8>
    private(set) var pos: Int
    let end: Int
    let maxNesting: Int

    init(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int, maxNesting: Int) {
        self.buf = buf
        self.pos = start
        self.end = end
        self.maxNesting = maxNesting
    }

    /// A reader over the payload of a length-delimited field.
    func sub(_ field: ProtoField) -> ProtoReader {
        ProtoReader(buf, start: field.start, end: field.end, maxNesting: maxNesting)
    }

    var isAtEnd: Bool { pos >= end }

    mutating func readVarint() throws(ProfileError) -> UInt64 {
        let start = pos
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw .malformed("truncated varint", at: start) }
            let byte = buf[pos]
            pos += 1
            if shift == 63 && byte > 1 { throw .malformed("varint longer than 64 bits", at: start) }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func readFixed(_ size: Int, field: Int, at offset: Int) throws(ProfileError) -> UInt64 {
        guard end - pos >= size else {
            throw .malformed("truncated \(size * 8)-bit value of field \(field)", at: offset)
        }
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(buf[pos + i]) << UInt64(8 * i) }
        pos += size
        return value
    }

    /// Reads the next field, or returns nil at the end of the message.
    mutating func next() throws(ProfileError) -> ProtoField? {
        guard pos < end else { return nil }
        let offset = pos
        let tag = try readVarint()
        let number = tag >> 3
        guard number >= 1 && number <= 0x1fff_ffff else {
            throw .malformed("invalid field number \(number)", at: offset)
        }
        var field = ProtoField(number: Int(number), wireType: Int(tag & 7), value: 0, start: 0, end: 0, offset: offset)
        switch field.wireType {
        case 0:
            field.value = try readVarint()
        case 1:
            field.value = try readFixed(8, field: field.number, at: offset)
        case 2:
            let lengthOffset = pos
            let length = try readVarint()
            guard length <= UInt64(end - pos) else {
                throw .malformed(
                    "length \(length) of field \(field.number) exceeds the \(end - pos) bytes remaining",
                    at: lengthOffset)
            }
            field.start = pos
            field.end = pos + Int(length)
            pos = field.end
        case 3:
            try skipGroup(number: field.number, at: offset)
        case 4:
            throw .malformed("unexpected end of group \(field.number)", at: offset)
        case 5:
            field.value = try readFixed(4, field: field.number, at: offset)
        default:
            throw .malformed("invalid wire type \(field.wireType) of field \(field.number)", at: offset)
        }
        return field
    }

    /// Skips a (deprecated) group, iteratively, bounded by `maxNesting`.
    private mutating func skipGroup(number: Int, at offset: Int) throws(ProfileError) {
        var open: [Int] = [number]
        while let last = open.last {
            guard pos < end else { throw .malformed("unterminated group \(last)", at: offset) }
            let tagOffset = pos
            let tag = try readVarint()
            let n = Int(truncatingIfNeeded: tag >> 3)
            switch tag & 7 {
            case 0: _ = try readVarint()
            case 1: _ = try readFixed(8, field: n, at: tagOffset)
            case 2:
                let length = try readVarint()
                guard length <= UInt64(end - pos) else {
                    throw .malformed("length \(length) of field \(n) exceeds the \(end - pos) bytes remaining", at: tagOffset)
                }
                pos += Int(length)
            case 3:
                guard open.count < maxNesting else {
                    throw .limit("groups nested deeper than \(maxNesting)", at: tagOffset)
                }
                open.append(n)
            case 4:
                guard n == last else { throw .malformed("end of group \(n) inside group \(last)", at: tagOffset) }
                open.removeLast()
            case 5: _ = try readFixed(4, field: n, at: tagOffset)
            default:
                throw .malformed("invalid wire type \(tag & 7) of field \(n)", at: tagOffset)
            }
        }
    }

    // MARK: Typed access

    /// The varint value of `field`; any other wire type is an error, as in pprof.
    func varint(_ field: ProtoField, _ message: String) throws(ProfileError) -> UInt64 {
        guard field.wireType == 0 else {
            throw .malformed("\(message) field \(field.number) has wire type \(field.wireType), expected varint", at: field.offset)
        }
        return field.value
    }

    func int64(_ field: ProtoField, _ message: String) throws(ProfileError) -> Int64 {
        Int64(bitPattern: try varint(field, message))
    }

    func bool(_ field: ProtoField, _ message: String) throws(ProfileError) -> Bool {
        try varint(field, message) != 0
    }

    /// Appends a repeated varint field, packed (wire type 2) or not (wire type 0).
    func appendVarints(
        _ field: ProtoField, to array: inout [UInt64], limit: Int, _ what: String
    ) throws(ProfileError) {
        if field.wireType == 2 {
            var packed = sub(field)
            while !packed.isAtEnd {
                guard array.count < limit else { throw .limit("more than \(limit) \(what)", at: packed.pos) }
                array.append(try packed.readVarint())
            }
            return
        }
        guard array.count < limit else { throw .limit("more than \(limit) \(what)", at: field.offset) }
        array.append(try varint(field, what))
    }

    /// The payload of a length-delimited field as a string (invalid UTF-8 is repaired).
    func string(_ field: ProtoField, _ message: String) throws(ProfileError) -> String {
        guard field.wireType == 2 else {
            throw .malformed("\(message) field \(field.number) has wire type \(field.wireType), expected bytes", at: field.offset)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buf[field.start..<field.end]), as: UTF8.self)
    }

    /// A reader for an embedded message field.
    func message(_ field: ProtoField, _ message: String) throws(ProfileError) -> ProtoReader {
        guard field.wireType == 2 else {
            throw .malformed("\(message) field \(field.number) has wire type \(field.wireType), expected a message", at: field.offset)
        }
        return sub(field)
    }
}
