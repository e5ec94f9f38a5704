/// A bounds-checked little-endian reader over borrowed bytes.
///
/// Every read checks the remaining length first and throws `SymbolicationError.malformed`
/// instead of reading out of bounds, so hostile or truncated files cannot crash the process.
/// Offsets coming from files are `UInt64`; they are converted with checks, never trapping.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Creates a cursor at a file-provided offset, or throws if it is outside the bytes.
    init(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        guard offset <= UInt64(bytes.count) else { throw ByteCursor.outOfBounds }
        self.bytes = bytes
        self.offset = Int(offset)
    }

    static let outOfBounds = SymbolicationError.malformed("read past the end of the data")

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    func need(_ n: Int) throws {
        guard n >= 0, offset >= 0, n <= bytes.count - offset else { throw ByteCursor.outOfBounds }
    }

    @inline(__always)
    mutating func u8() throws -> UInt8 {
        try need(1)
        let v = bytes.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        return v
    }

    @inline(__always)
    mutating func u16() throws -> UInt16 {
        try need(2)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset += 2
        return UInt16(littleEndian: v)
    }

    @inline(__always)
    mutating func u32() throws -> UInt32 {
        try need(4)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(littleEndian: v)
    }

    @inline(__always)
    mutating func u64() throws -> UInt64 {
        try need(8)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: v)
    }

    /// A 3-byte little-endian value (DWARF 5 `strx3` / `addrx3`).
    mutating func u24() throws -> UInt64 {
        let lo = UInt64(try u16())
        return lo | UInt64(try u8()) << 16
    }

    /// An unsigned value of `size` bytes (1, 2, 4 or 8), e.g. a target address.
    mutating func unsigned(size: Int) throws -> UInt64 {
        switch size {
        case 1: return UInt64(try u8())
        case 2: return UInt64(try u16())
        case 4: return UInt64(try u32())
        case 8: return try u64()
        default: throw SymbolicationError.malformed("unsupported integer size \(size)")
        }
    }

    /// A DWARF initial length (4 bytes, or 0xffffffff and 8 bytes in 64-bit DWARF): the offset
    /// where the `what` it starts ends, and whether it is 64-bit. Throws on the reserved
    /// values and on a length past the end of `section`.
    mutating func initialLength(of what: String, in section: String) throws -> (end: Int, is64: Bool) {
        var length = UInt64(try u32())
        var is64 = false
        if length == 0xffff_ffff {
            is64 = true
            length = try u64()
        } else if length >= 0xffff_fff0 {
            throw SymbolicationError.malformed("reserved \(what) length")
        }
        guard length <= UInt64(remaining) else { throw SymbolicationError.malformed("\(what) extends past \(section)") }
        return (offset + Int(length), is64)
    }

    /// A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF.
    mutating func offsetValue(is64: Bool) throws -> UInt64 {
        is64 ? try u64() : UInt64(try u32())
    }

    /// Unsigned LEB128; bits beyond 64 are dropped.
    @inline(__always)
    mutating func uleb() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            if shift < 64 { result |= UInt64(byte & 0x7f) << shift }
            shift += 7
            if byte & 0x80 == 0 { return result }
        }
    }

    /// Signed LEB128; bits beyond 64 are dropped.
    mutating func sleb() throws -> Int64 {
        var result: Int64 = 0
        var shift: Int64 = 0
        var byte: UInt8 = 0
        repeat {
            byte = try u8()
            if shift < 64 { result |= Int64(byte & 0x7f) << shift }
            shift += 7
        } while byte & 0x80 != 0
        // Sign-extend; `-1 << shift`, not `-(1 << shift)`, which traps for shift 63.
        if shift < 64 && byte & 0x40 != 0 { result |= -1 << shift }
        return result
    }

    mutating func skip(_ n: Int) throws {
        try need(n)
        offset += n
    }

    mutating func skip(_ n: UInt64) throws {
        guard n <= UInt64(max(remaining, 0)) else { throw ByteCursor.outOfBounds }
        offset += Int(n)
    }

    /// Reads a NUL-terminated string (the terminator is consumed, not returned).
    mutating func cString() throws -> String {
        let start = offset
        let end = try cStringEnd()
        offset = end + 1
        return ByteCursor.decode(bytes, start, end)
    }

    /// Skips a NUL-terminated string.
    mutating func skipCString() throws {
        offset = try cStringEnd() + 1
    }

    /// The index of the NUL ending the string at `offset`.
    private func cStringEnd() throws -> Int {
        try need(1)
        guard let base = bytes.baseAddress,
              let hit = memchr(base + offset, 0, bytes.count - offset) else { throw ByteCursor.outOfBounds }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    /// A sub-range of the bytes, checked.
    func slice(at start: UInt64, count: UInt64) throws -> UnsafeRawBufferPointer {
        try ByteCursor.slice(bytes, at: start, count: count)
    }

    static func slice(_ bytes: UnsafeRawBufferPointer, at start: UInt64, count: UInt64) throws -> UnsafeRawBufferPointer {
        let total = UInt64(bytes.count)
        guard start <= total, count <= total - start else { throw outOfBounds }
        if count == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(start)..<Int(start + count)])
    }

    /// The NUL-terminated string at `offset` in `bytes`, or nil if out of bounds / unterminated.
    static func string(in bytes: UnsafeRawBufferPointer, at offset: UInt64) -> String? {
        guard offset < UInt64(bytes.count) else { return nil }
        var cursor = ByteCursor(bytes, offset: Int(offset))
        return try? cursor.cString()
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
