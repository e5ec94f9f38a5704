extension Memprof {
    /// Formats a byte count for people, with binary (IEC) units and one decimal:
    /// `512 B`, `1.5 KiB`, `95.4 MiB`, `2.0 GiB`. Negative counts (differences) keep their sign:
    /// `-3.2 MiB`.
    ///
    /// Bytes below 1 KiB are printed exactly. Larger counts are rounded to the nearest tenth of
    /// the largest unit that keeps the number below 1024 (a value that rounds up to 1024.0 moves
    /// to the next unit, so `1048575` prints `1.0 MiB`, not `1024.0 KiB`).
    public static func formatBytes<T: BinaryInteger>(_ bytes: T) -> String {
        let sign = bytes < 0 ? "-" : ""
        let magnitude = UInt64(truncatingIfNeeded: bytes.magnitude)
        if magnitude < 1024 { return "\(sign)\(magnitude) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var unitIndex = 0
        var value = Double(magnitude) / 1024
        // Move up while the value would print as 1024.0 or more.
        while unitIndex < units.count - 1 && (value * 10).rounded() >= 10240 {
            value /= 1024
            unitIndex += 1
        }
        let tenths = UInt64((value * 10).rounded())
        return "\(sign)\(tenths / 10).\(tenths % 10) \(units[unitIndex])"
    }
}
