/// Buffer capacities on a coarse grid, for buffers whose length follows the data.
///
/// The heap profiler keys its samples by (stack, block size). A buffer allocated with the
/// exact length of a profile gets a new size every time the profile changes by a byte, so an
/// idle service scraped forever would sample its own serving buffers under a new size each
/// time and its allocs profile (and the next buffer) would grow without end. Capacities
/// rounded up to eight classes per power of two (at most 12.5% slack, like the size classes of
/// Go's and jemalloc's allocators) repeat from one scrape to the next.
public enum AllocationSizeClass {
    /// The smallest class size that holds `count` bytes: multiples of 16 up to 128, then
    /// eight steps per power of two.
    public static func capacity(atLeast count: Int) -> Int {
        guard count > 128 else { return max(16, (count + 15) & ~15) }
        let highBit = Int.bitWidth - 1 - (count - 1).leadingZeroBitCount
        let step = 1 << (highBit - 3)
        return (count + step - 1) / step * step
    }

    /// An empty byte array with room for `count` bytes, its capacity on the grid.
    public static func bytes(reserving count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity(atLeast: count))
        return bytes
    }
}

extension AllocationSizeClass {
    /// The largest class size not above `count`.
    static func floor(_ count: Int) -> Int {
        guard count > 128 else { return count & ~15 }
        let highBit = Int.bitWidth - 1 - count.leadingZeroBitCount
        let step = 1 << (highBit - 3)
        return count / step * step
    }
}

extension Array where Element == UInt8 {
    /// Makes room for `extra` more bytes, growing to twice the class below the current
    /// capacity (or to what is needed): the sizes of a growing buffer stay on the grid,
    /// whatever slack `malloc` gave the previous one.
    @inline(__always)
    mutating func reserveOnGrid(adding extra: Int) {
        if count + extra > capacity { growOnGrid(count + extra) }
    }

    @inline(never)
    private mutating func growOnGrid(_ needed: Int) {
        reserveCapacity(AllocationSizeClass.capacity(atLeast: Swift.max(needed, 2 * AllocationSizeClass.floor(capacity))))
    }
}
