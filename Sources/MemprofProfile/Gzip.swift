import CMemprofZlib

/// gzip (RFC 1952) encode and decode through the system zlib, with bounded output.
enum Gzip {
    private static let chunkSize = 64 * 1024

    /// Decompresses one or more concatenated gzip members.
    ///
    /// Fails with kind `.limitExceeded` as soon as the output would exceed `limit` bytes (so a
    /// gzip bomb costs at most `limit` bytes of memory), and with kind `.gzip` on corrupt or
    /// truncated input.
    static func decompress(_ input: [UInt8], limit: Int) throws(ProfileError) -> [UInt8] {
        guard input.count < Int(UInt32.max) else {
            throw .limit("gzip input of \(input.count) bytes is larger than 4 GiB")
        }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw ProfileError(.gzip, "gzip: cannot start zlib (status \(initStatus))") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        return try input.withUnsafeBufferPointer { (inBuf) throws(ProfileError) -> [UInt8] in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                let consumed = inBuf.count - Int(stream.avail_in)
                if produced > limit - output.count {
                    throw .limit("gzip: decompressed size exceeds limit of \(formatByteCount(limit))")
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return output }
                    // Another gzip member follows (as `cat a.gz b.gz` makes).
                    inflateReset(&stream)
                case Z_BUF_ERROR:
                    throw ProfileError(.gzip, "gzip: unexpected end of data at byte \(consumed)", offset: consumed)
                case Z_MEM_ERROR:
                    throw ProfileError(.gzip, "gzip: zlib is out of memory")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw ProfileError(.gzip, "gzip: corrupt data at byte \(consumed): \(reason)", offset: consumed)
                }
            }
        }
    }

    /// Compresses `input` as a single gzip member (no file name, mtime 0, so the output is
    /// deterministic). Returns nil if zlib cannot start.
    ///
    /// The level is zlib's fastest (1), as Go's runtime/pprof writes its profiles
    /// (`gzip.BestSpeed`): a profile is written while the program runs, or right after it
    /// ends. On a 248 KB heap profile of 6,329 samples level 1 takes 1.5 ms for 63 KB where
    /// the default level (6) takes 5.1 ms for 54 KB.
    static func compress(_ input: [UInt8], level: Int32 = Z_BEST_SPEED) -> [UInt8]? {
        guard input.count < Int(UInt32.max) else { return nil }
        var stream = z_stream()
        let initStatus = deflateInit2_(
            &stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        // The buffer's size on the grid (`AllocationSizeClass`), not the input's exact bound.
        var output = [UInt8](repeating: 0, count: AllocationSizeClass.capacity(atLeast: bound))
        let status = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(Int(stream.avail_out))
        return output
    }
}
