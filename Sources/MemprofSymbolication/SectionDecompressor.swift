#if canImport(Glibc)
import Glibc
#endif

/// Inflates `SHF_COMPRESSED` debug sections (`Elf64_Chdr` + zlib or zstd stream).
///
/// zlib's `uncompress` and zstd's `ZSTD_decompress` are looked up at run time with `dlsym`
/// (first in the process, then by `dlopen` of `libz.so.1` / `libzstd.so.1`), so this module
/// needs no link-time dependency. When neither is available the section is reported as
/// unreadable and the module falls back to symbol-table names.
enum SectionDecompressor {
    private typealias ZlibUncompress = @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt>?, UnsafeRawPointer?, UInt
    ) -> Int32
    private typealias ZstdDecompress = @convention(c) (
        UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int
    ) -> Int
    private typealias ZstdIsError = @convention(c) (Int) -> UInt32

    /// Largest inflated section accepted (a hostile header could ask for anything).
    static let maximumSize: UInt64 = 4 << 30

    static func inflate(_ raw: UnsafeRawBufferPointer, name: String) throws -> OwnedBytes {
        var c = ByteCursor(raw)
        let type = try c.u32()
        _ = try c.u32()                 // ch_reserved
        let size = try c.u64()
        _ = try c.u64()                 // ch_addralign
        let payload = UnsafeRawBufferPointer(rebasing: raw[c.offset...])
        // zlib cannot expand more than ~1:1032 and zstd ~1:32768: a larger claim is a lie.
        let ratio: UInt64 = type == 1 ? 1100 : 40000
        guard size <= maximumSize, size <= UInt64(payload.count) * ratio + 65536 else {
            throw SymbolicationError.malformed("\(name): inflated size \(size) too large")
        }
        let out = try OwnedBytes(count: Int(size))
        switch type {
        case 1:
            guard let fn = symbol("uncompress", library: "libz.so.1", as: ZlibUncompress.self) else {
                throw SymbolicationError.malformed("\(name): zlib-compressed but libz is not available")
            }
            var outLength = UInt(size)
            let rc = fn(out.mutableBytes.baseAddress, &outLength, payload.baseAddress, UInt(payload.count))
            guard rc == 0, outLength == UInt(size) else {
                throw SymbolicationError.malformed("\(name): zlib inflate failed (\(rc))")
            }
        case 2:
            guard let fn = symbol("ZSTD_decompress", library: "libzstd.so.1", as: ZstdDecompress.self),
                  let isError = symbol("ZSTD_isError", library: "libzstd.so.1", as: ZstdIsError.self) else {
                throw SymbolicationError.malformed("\(name): zstd-compressed but libzstd is not available")
            }
            let rc = fn(out.mutableBytes.baseAddress, Int(size), payload.baseAddress, payload.count)
            guard isError(rc) == 0, rc == Int(size) else {
                throw SymbolicationError.malformed("\(name): zstd inflate failed")
            }
        default:
            throw SymbolicationError.malformed("\(name): unknown compression type \(type)")
        }
        return out
    }

    private static func symbol<T>(_ name: String, library: String, as type: T.Type) -> T? {
        var pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)   // RTLD_DEFAULT
        if pointer == nil, let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) {
            pointer = dlsym(handle, name)   // handle kept open: the library stays loaded
        }
        guard let pointer else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
}
