/// The pprof data model (profile.proto), with strings resolved.
///
/// A `Profile` holds samples, each a stack of location IDs plus one value per sample type.
/// Locations point at mappings (loaded objects) and carry one or more lines (several when
/// functions were inlined; the first line is the innermost frame). IDs are the ones of the
/// encoded form: non-zero, unique within their table.
public struct Profile: Equatable, Sendable {
    /// What each value of a sample measures, in order (e.g. `alloc_objects/count`).
    public var sampleTypes: [ValueType]
    /// The samples: a stack and one value per sample type each.
    public var samples: [Sample]
    /// Loaded objects; the first is the main executable by convention.
    public var mappings: [Mapping]
    /// Program counters and the source lines they resolve to.
    public var locations: [Location]
    /// Functions referred to by the locations' lines.
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
    /// Link to documentation about the profile's sample types (pprof `doc_url`).
    public var docURL: String

    /// Makes a profile; every part defaults to empty.
    public init(
        sampleTypes: [ValueType] = [], samples: [Sample] = [], mappings: [Mapping] = [],
        locations: [Location] = [], functions: [Function] = [], dropFrames: String = "",
        keepFrames: String = "", timeNanos: Int64 = 0, durationNanos: Int64 = 0,
        periodType: ValueType? = nil, period: Int64 = 0, comments: [String] = [],
        defaultSampleType: String = "", docURL: String = ""
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
        self.docURL = docURL
    }
}

/// A type and unit pair, such as `inuse_space` / `bytes`.
public struct ValueType: Equatable, Hashable, Sendable {
    /// What is measured, such as `inuse_space`.
    public var type: String
    /// Its unit, such as `bytes` or `count`.
    public var unit: String
    /// Makes a value type.
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

    /// Makes a sample; labels default to none.
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
    /// Non-zero, unique among mappings.
    public var id: UInt64
    /// Address where the mapping starts.
    public var start: UInt64
    /// Address just past the end of the mapping.
    public var limit: UInt64
    /// File offset of `start`.
    public var offset: UInt64
    /// Path (or name such as `[vdso]`) of the object.
    public var file: String
    /// GNU build ID as lowercase hex, or empty.
    public var buildID: String
    /// Whether function names were resolved for this mapping's locations (symbolized).
    public var hasFunctions: Bool
    /// Whether file names were resolved.
    public var hasFilenames: Bool
    /// Whether line numbers were resolved.
    public var hasLineNumbers: Bool
    /// Whether inlined frames were expanded into several lines.
    public var hasInlineFrames: Bool

    /// Makes a value; all but the first parameters default to zero or empty.
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
    /// Non-zero, unique among locations.
    public var id: UInt64
    /// ID of the mapping that holds `address`, or 0.
    public var mappingID: UInt64
    /// The instruction address (for return addresses, the call instruction: return - 1).
    public var address: UInt64
    /// Innermost first: `lines[0]` is the inlined callee, the last the outermost caller.
    public var lines: [Line]
    /// Whether several frames were folded into this one by a tool (pprof `is_folded`).
    public var isFolded: Bool

    /// Makes a value; all but the first parameters default to zero or empty.
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
    /// ID of the function (non-zero, must exist).
    public var functionID: UInt64
    /// Source line, 0 when unknown.
    public var line: Int64
    /// Source column, 0 when unknown.
    public var column: Int64
    /// Makes a value; all but the first parameters default to zero or empty.
    public init(functionID: UInt64, line: Int64 = 0, column: Int64 = 0) {
        self.functionID = functionID
        self.line = line
        self.column = column
    }
}

/// A function: its display name, linker (system) name and source file.
public struct Function: Equatable, Sendable {
    /// Non-zero, unique among functions.
    public var id: UInt64
    /// Readable name (demangled for Swift, C++).
    public var name: String
    /// Name as the linker knows it (mangled).
    public var systemName: String
    /// Source file of the function.
    public var filename: String
    /// Line where the function starts, 0 when unknown.
    public var startLine: Int64

    /// Makes a value; all but the first parameters default to zero or empty.
    public init(id: UInt64, name: String = "", systemName: String = "", filename: String = "", startLine: Int64 = 0) {
        self.id = id
        self.name = name
        self.systemName = systemName
        self.filename = filename
        self.startLine = startLine
    }
}
