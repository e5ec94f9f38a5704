/// Bounds that keep `Profile.parse` safe on hostile input.
///
/// Every bound turns into a `ProfileError` of kind `.limitExceeded` with a message naming it,
/// never into a crash, a hang or unbounded memory. The defaults accept any profile a real
/// program writes (Go's own heap profiles are a few KiB to a few MiB).
public struct ParseLimits: Equatable, Sendable {
    /// Largest size of the protobuf after gzip decompression, in bytes (default 1 GiB).
    /// Also bounds plain (not gzipped) input.
    public var maxDecompressedBytes: Int
    /// Largest number of entries in the string table (default 16 Mi).
    public var maxStrings: Int
    /// Largest number of samples, mappings, locations or functions, each (default 16 Mi).
    public var maxRecords: Int
    /// Largest number of elements of one repeated field inside one record: values or
    /// location IDs of a sample, labels of a sample, lines of a location, comments
    /// (default 1 Mi).
    public var maxRepeated: Int
    /// Deepest nesting of unknown group fields that will be skipped (default 16).
    public var maxNesting: Int

    /// Makes limits; each argument defaults to the value of `ParseLimits.default`.
    public init(
        maxDecompressedBytes: Int = 1 << 30, maxStrings: Int = 1 << 24, maxRecords: Int = 1 << 24,
        maxRepeated: Int = 1 << 20, maxNesting: Int = 16
    ) {
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxStrings = maxStrings
        self.maxRecords = maxRecords
        self.maxRepeated = maxRepeated
        self.maxNesting = maxNesting
    }

    /// The defaults: 1 GiB decompressed, 16 Mi strings and records, 1 Mi repeated elements,
    /// nesting 16.
    public static let `default` = ParseLimits()
}
