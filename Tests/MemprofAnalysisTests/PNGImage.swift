import CMemprofZlib

/// Just enough of PNG to check a screenshot: 8-bit RGB or RGBA, non-interlaced, decoded to
/// pixels (IDAT inflated with zlib, row filters undone).
struct PNGImage {
    var width: Int
    var height: Int
    /// RGB of each pixel, row by row.
    var pixels: [(r: UInt8, g: UInt8, b: UInt8)]

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(_ bytes: [UInt8]) throws {
        guard bytes.count > 33, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure(description: "not a PNG")
        }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var i = 8, idat: [UInt8] = []
        var header: [UInt8] = []
        while i + 8 <= bytes.count {
            let length = u32(i), type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= bytes.count else { throw Failure(description: "truncated \(type) chunk") }
            let data = Array(bytes[(i + 8)..<(i + 8 + length)])
            if type == "IHDR" { header = data }
            if type == "IDAT" { idat += data }
            if type == "IEND" { break }
            i += 12 + length
        }
        guard header.count == 13 else { throw Failure(description: "no IHDR") }
        width = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        height = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        let (depth, colour, interlace) = (header[8], header[9], header[12])
        guard depth == 8, colour == 2 || colour == 6, interlace == 0 else {
            throw Failure(description: "unsupported PNG: depth \(depth) colour type \(colour) interlace \(interlace)")
        }
        let channels = colour == 6 ? 4 : 3, stride = width * channels
        let raw = try Self.inflate(idat, expected: height * (stride + 1))
        guard raw.count == height * (stride + 1) else { throw Failure(description: "IDAT holds \(raw.count) bytes") }
        var previous = [UInt8](repeating: 0, count: stride), row = previous
        pixels = []
        pixels.reserveCapacity(width * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + x]
                let a = x >= channels ? Int(row[x - channels]) : 0, b = Int(previous[x])
                let c = x >= channels ? Int(previous[x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure(description: "bad filter \(filter) in row \(y)")
                }
                row[x] = UInt8(truncatingIfNeeded: Int(v) + predictor)
            }
            for x in 0..<width { pixels.append((row[x * channels], row[x * channels + 1], row[x * channels + 2])) }
            previous = row
        }
    }

    static func inflate(_ input: [UInt8], expected: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: expected + 1)
        let status = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return CMemprofZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(description: "zlib status \(status)") }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
