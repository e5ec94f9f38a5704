/// The pprof data model (profile.proto), with strings resolved.
///
/// A `Profile` holds samples, each a stack of location IDs plus one value per sample type.
/// Locations point at mappings (loaded objects) and carry one or more lines (several when
/// functions were inlined; the first line is the innermost frame). IDs are the ones of the
/// encoded form: non-zero, unique within their table.
public struct Profile: Equatable, Sendable {
    /// What each value of a sample measures, in order (e.g. `alloc_objects/count`).
    public var sampleTypes: [ValueType]
    public var samples: [Sample]
    public var mappings: [Mapping]
    public var locations: [Location]
    public var functions: [Function]
    /// Regex of frames to drop from the leaf end of stacks (pprof `drop_frames`).
    public var dropFrames: String
    /// Regex of frames to keep despite `dropFrames` (pprof `keep_frames`).
    public var keepFrames: String
    /// Time of collection, nanoseconds since the Unix epoch.
    public var timeNanos: Int64
    /// Duration of the profile, nanoseconds.
    public var durationNanos: Int64
    /// The kind of events between sampled occurrences (for heap: `space/bytes`).
    public var periodType: ValueType?
    /// Number of events between sampled occurrences (for heap: the sampling rate in bytes).
    public var period: Int64
    /// Free-form comments.
    public var comments: [String]
    /// Name of the sample type shown by default (e.g. `alloc_space`); empty means the last.
    public var defaultSampleType: String

    public init(
        sampleTypes: [ValueType] = [], samples: [Sample] = [], mappings: [Mapping] = [],
        locations: [Location] = [], functions: [Function] = [], dropFrames: String = "",
        keepFrames: String = "", timeNanos: Int64 = 0, durationNanos: Int64 = 0,
        periodType: ValueType? = nil, period: Int64 = 0, comments: [String] = [],
        defaultSampleType: String = ""
    ) {
        self.sampleTypes = sampleTypes
        self.samples = samples
        self.mappings = mappings
        self.locations = locations
        self.functions = functions
        self.dropFrames = dropFrames
        self.keepFrames = keepFrames
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.periodType = periodType
        self.period = period
        self.comments = comments
        self.defaultSampleType = defaultSampleType
    }
}

/// A type and unit pair, such as `inuse_space` / `bytes`.
public struct ValueType: Equatable, Hashable, Sendable {
    public var type: String
    public var unit: String
    public init(type: String, unit: String) {
        self.type = type
        self.unit = unit
    }
}

/// One sample: a stack (leaf first) and its values, with optional labels.
public struct Sample: Equatable, Sendable {
    /// Location IDs, leaf (innermost caller) first.
    public var locationIDs: [UInt64]
    /// One value per entry of `Profile.sampleTypes`.
    public var values: [Int64]
    /// String labels; keys map to one or more values.
    public var labels: [String: [String]]
    /// Numeric labels (Go heap profiles carry `bytes`: the block size).
    public var numericLabels: [String: [Int64]]
    /// Units of numeric labels, parallel to `numericLabels` values (may be empty).
    public var numericUnits: [String: [String]]

    public init(
        locationIDs: [UInt64], values: [Int64], labels: [String: [String]] = [:],
        numericLabels: [String: [Int64]] = [:], numericUnits: [String: [String]] = [:]
    ) {
        self.locationIDs = locationIDs
        self.values = values
        self.labels = labels
        self.numericLabels = numericLabels
        self.numericUnits = numericUnits
    }
}

/// A loaded object (executable or shared library) and the address range it occupies.
public struct Mapping: Equatable, Sendable {
    public var id: UInt64
    public var start: UInt64
    public var limit: UInt64
    /// File offset of `start`.
    public var offset: UInt64
    public var file: String
    /// GNU build ID as lowercase hex, or empty.
    public var buildID: String
    public var hasFunctions: Bool
    public var hasFilenames: Bool
    public var hasLineNumbers: Bool
    public var hasInlineFrames: Bool

    public init(
        id: UInt64, start: UInt64 = 0, limit: UInt64 = 0, offset: UInt64 = 0, file: String = "",
        buildID: String = "", hasFunctions: Bool = false, hasFilenames: Bool = false,
        hasLineNumbers: Bool = false, hasInlineFrames: Bool = false
    ) {
        self.id = id
        self.start = start
        self.limit = limit
        self.offset = offset
        self.file = file
        self.buildID = buildID
        self.hasFunctions = hasFunctions
        self.hasFilenames = hasFilenames
        self.hasLineNumbers = hasLineNumbers
        self.hasInlineFrames = hasInlineFrames
    }
}

/// A program counter and what it resolves to.
public struct Location: Equatable, Sendable {
    public var id: UInt64
    /// ID of the mapping that holds `address`, or 0.
    public var mappingID: UInt64
    public var address: UInt64
    /// Innermost first: `lines[0]` is the inlined callee, the last the outermost caller.
    public var lines: [Line]
    public var isFolded: Bool

    public init(id: UInt64, mappingID: UInt64 = 0, address: UInt64 = 0, lines: [Line] = [], isFolded: Bool = false) {
        self.id = id
        self.mappingID = mappingID
        self.address = address
        self.lines = lines
        self.isFolded = isFolded
    }
}

/// A function and source line within a location.
public struct Line: Equatable, Sendable {
    public var functionID: UInt64
    public var line: Int64
    public var column: Int64
    public init(functionID: UInt64, line: Int64 = 0, column: Int64 = 0) {
        self.functionID = functionID
        self.line = line
        self.column = column
    }
}

/// A function: its display name, linker (system) name and source file.
public struct Function: Equatable, Sendable {
    public var id: UInt64
    /// Readable name (demangled for Swift, C++).
    public var name: String
    /// Name as the linker knows it (mangled).
    public var systemName: String
    public var filename: String
    public var startLine: Int64

    public init(id: UInt64, name: String = "", systemName: String = "", filename: String = "", startLine: Int64 = 0) {
        self.id = id
        self.name = name
        self.systemName = systemName
        self.filename = filename
        self.startLine = startLine
    }
}
