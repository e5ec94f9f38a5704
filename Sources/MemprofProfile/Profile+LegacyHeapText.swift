import Glibc

extension Profile {
    /// The profile in the legacy text format of Go's `/debug/pprof/heap?debug=1`.
    ///
    /// ```
    /// heap profile: 2: 512 [12: 900137472] @ heap/1048576
    /// 1: 416 [1: 416] @ 0x443388 0x44363e
    /// #	0x443387	runtime.malg+0x27		runtime/proc.go:4076
    /// ```
    /// The header holds totals and twice the sampling rate (`period`), as Go writes it. Each
    /// record is `inuseObjects: inuseBytes [allocObjects: allocBytes] @` and the stack's
    /// return addresses (location address + 1), then one `#` line per frame, innermost first,
    /// with leading `runtime.` frames hidden as Go does, aligned like Go's tabwriter. Records are
    /// sorted by in-use bytes, largest first.
    ///
    /// The profile needs Go's four heap sample types (`alloc_objects`, `alloc_space`,
    /// `inuse_objects`, `inuse_space`, in any order). Its values are sampling-scaled
    /// estimates, as in profile.proto; this format holds the raw sampled counts that readers
    /// scale themselves (`go tool pprof` multiplies by 1/(1-e^(-size/rate))), so each pair is
    /// unscaled with the inverse of Go's formula, and reading the text back gives the
    /// profile's values again (to rounding).
    ///
    /// - Parameters:
    ///   - trailer: appended as is after the records; Go puts its `runtime.MemStats` block
    ///     there, starting with an empty line (`"\n# runtime.MemStats\n# Alloc = ..."`).
    ///   - functionEntry: the entry address of a function, to print `name+0xOFFSET`; when nil
    ///     or returning nil, the offset is left out.
    public func legacyHeapText(
        trailer: String = "", functionEntry: ((Function) -> UInt64?)? = nil
    ) throws(ProfileError) -> String {
        String(decoding: try legacyHeapTextBytes(trailer: trailer, functionEntry: functionEntry), as: UTF8.self)
    }

    /// `legacyHeapText` as UTF-8 bytes, for serving: written into byte buffers without
    /// copies of the whole text, the result's capacity an `AllocationSizeClass`.
    public func legacyHeapTextBytes(
        trailer: String = "", functionEntry: ((Function) -> UInt64?)? = nil
    ) throws(ProfileError) -> [UInt8] {
        func index(_ name: String) throws(ProfileError) -> Int {
            guard let i = sampleTypes.firstIndex(where: { $0.type == name }) else {
                throw .invalid("legacy heap text needs sample types alloc_objects, alloc_space, inuse_objects "
                    + "and inuse_space; the profile has \(Profile.describe(sampleTypes))")
            }
            return i
        }
        let ix = (ao: try index("alloc_objects"), ab: try index("alloc_space"),
                  io: try index("inuse_objects"), ib: try index("inuse_space"))
        try validate()
        let rate = period
        struct Record { var inuse: (Int64, Int64), alloc: (Int64, Int64), locations: [UInt64] }
        var records = samples.map { s in
            let blockSize = s.numericLabels["bytes"].flatMap { $0.count == 1 ? $0[0] : nil }
            return Record(
                inuse: Profile.unscaleHeap(s.values[ix.io], s.values[ix.ib], rate: rate, blockSize: blockSize),
                alloc: Profile.unscaleHeap(s.values[ix.ao], s.values[ix.ab], rate: rate, blockSize: blockSize),
                locations: s.locationIDs)
        }
        records = records.enumerated().sorted {
            $0.element.inuse.1 != $1.element.inuse.1 ? $0.element.inuse.1 > $1.element.inuse.1 : $0.offset < $1.offset
        }.map(\.element)

        var total = (inuseObjects: Int64(0), inuseBytes: Int64(0), allocObjects: Int64(0), allocBytes: Int64(0))
        for r in records {
            total.inuseObjects &+= r.inuse.0
            total.inuseBytes &+= r.inuse.1
            total.allocObjects &+= r.alloc.0
            total.allocBytes &+= r.alloc.1
        }
        // Go's writer: pprof takes equal in-use and alloc totals for a 2-column profile.
        if total.inuseBytes == total.allocBytes { total.allocBytes &+= 1 }

        let locationIndex = Dictionary(locations.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let functionIndex = Dictionary(functions.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var header = TextBytes()
        header.append("heap profile: ")
        header.counts(total.inuseObjects, total.inuseBytes, total.allocObjects, total.allocBytes)
        header.append(" @ heap/")
        header.decimal(2 &* rate)
        header.newline()
        var frames: [(pc: UInt64, function: Int?, line: Int64)] = []
        func write(_ r: Record, _ out: inout TextBytes) {
            out.counts(r.inuse.0, r.inuse.1, r.alloc.0, r.alloc.1)
            out.append(" @")
            frames.removeAll(keepingCapacity: true)
            for id in r.locations {
                let l = locations[locationIndex[id]!]
                out.append(" ")
                out.hex(l.address &+ 1)
                if l.lines.isEmpty { frames.append((l.address, nil, 0)) }
                for line in l.lines { frames.append((l.address, functionIndex[line.functionID], line.line)) }
            }
            out.newline()
            // Leading `runtime.` frames are hidden, unless all are.
            for allFrames in [false, true] {
                var show = allFrames
                for frame in frames {
                    guard let fi = frame.function, !functions[fi].name.isEmpty else {
                        show = true
                        out.append("#\t")
                        out.hex(frame.pc)
                        out.newline()
                        continue
                    }
                    let f = functions[fi]
                    guard f.name != "runtime.goexit" && (show || !f.name.hasPrefix("runtime.")) else { continue }
                    show = true
                    out.append("#\t")
                    out.hex(frame.pc)
                    out.append("\t")
                    out.append(f.name)
                    if let entry = functionEntry?(f), entry <= frame.pc {
                        out.append("+")
                        out.hex(frame.pc - entry)
                    }
                    out.append("\t")
                    out.append(f.filename)
                    out.append(":")
                    out.decimal(frame.line)
                    out.newline()
                }
                if show { break }
            }
            out.newline()
        }
        // The header line has no tab and each record ends with an empty line, so alignment
        // blocks never cross them: each record is aligned on its own, from a scratch buffer,
        // and the whole text exists once, in a buffer sized by a first, measuring pass.
        let aligner = TabAligner()
        let trailerBytes = Array(trailer.utf8)
        var scratch = TextBytes()
        var length = header.bytes.count + aligner.alignedCount(trailerBytes)
        for r in records {
            scratch.bytes.removeAll(keepingCapacity: true)
            write(r, &scratch)
            length += aligner.alignedCount(scratch.bytes)
        }
        var out = AllocationSizeClass.bytes(reserving: length)
        out.append(contentsOf: header.bytes)
        for r in records {
            scratch.bytes.removeAll(keepingCapacity: true)
            write(r, &scratch)
            aligner.align(scratch.bytes, into: &out)
        }
        aligner.align(trailerBytes, into: &out)
        return out
    }

    /// Inverse of Go's `scaleHeapSample`: from estimated totals back to sampled counts.
    ///
    /// Go scales by 1/(1-e^(-blockSize/rate)) and truncates, so the scaled average is not the
    /// block size; the sample's `bytes` label (Go writes it) gives the exact size when present.
    static func unscaleHeap(_ count: Int64, _ size: Int64, rate: Int64, blockSize: Int64? = nil) -> (Int64, Int64) {
        guard count != 0 && size != 0 else { return (0, 0) }
        guard rate > 1 else { return (count, size) }
        let average = blockSize.flatMap { $0 > 0 ? Double($0) : nil } ?? Double(size) / Double(count)
        guard average > 0 else { return (count, size) }
        let fraction = -expm1(-average / Double(rate))  // 1 - e^(-average/rate)
        func shrink(_ v: Int64) -> Int64 {
            let raw = Swift.max(1, scale(Int64(v.magnitude > UInt64(Int64.max) ? Int64.max : Int64(v.magnitude)), by: fraction))
            return v < 0 ? -raw : raw
        }
        return (shrink(count), shrink(size))
    }

    static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }
}

/// UTF-8 output of the legacy text, appended without intermediate strings.
private struct TextBytes {
    var bytes: [UInt8] = []

    mutating func append(_ text: String) {
        bytes.reserveOnGrid(adding: text.utf8.count)
        bytes.append(contentsOf: text.utf8)
    }

    mutating func newline() {
        bytes.reserveOnGrid(adding: 1)
        bytes.append(10)
    }

    /// `inuseObjects: inuseBytes [allocObjects: allocBytes]`
    mutating func counts(_ io: Int64, _ ib: Int64, _ ao: Int64, _ ab: Int64) {
        decimal(io)
        append(": ")
        decimal(ib)
        append(" [")
        decimal(ao)
        append(": ")
        decimal(ab)
        append("]")
    }

    mutating func decimal(_ value: Int64) {
        if value < 0 {
            bytes.reserveOnGrid(adding: 1)
            bytes.append(UInt8(ascii: "-"))
        }
        digits(value.magnitude, radix: 10)
    }

    mutating func hex(_ value: UInt64) {
        append("0x")
        digits(value, radix: 16)
    }

    private mutating func digits(_ value: UInt64, radix: UInt64) {
        // 20 digits at most (base 10); written from the end, then copied in one go.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var i = buffer.count, v = value
            repeat {
                let d = UInt8(truncatingIfNeeded: v % radix)
                i -= 1
                buffer[i] = d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10
                v /= radix
            } while v != 0
            bytes.reserveOnGrid(adding: buffer.count - i)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i...]))
        }
    }
}
