/// One source-level frame at an address. An address inside inlined code yields several
/// frames, innermost first; all but the last have `isInlined == true`.
public struct SymbolizedFrame: Equatable, Hashable, Sendable {
    /// Readable name: Swift and C++ names demangled, C names as they are.
    public var function: String
    /// The linker name (mangled), or the DWARF name when there is no linkage name.
    public var mangledName: String
    /// Absolute source path, or empty when unknown.
    public var file: String
    /// 1-based source line, or 0 when unknown (also for compiler-generated code).
    public var line: Int
    /// 1-based column, or 0 when unknown.
    public var column: Int
    /// This frame was inlined into the next one.
    public var isInlined: Bool
    /// Declaration line of the function (`DW_AT_decl_line`), or 0.
    public var functionStartLine: Int

    public init(function: String, mangledName: String, file: String = "", line: Int = 0, column: Int = 0,
                isInlined: Bool = false, functionStartLine: Int = 0) {
        self.function = function
        self.mangledName = mangledName
        self.file = file
        self.line = line
        self.column = column
        self.isInlined = isInlined
        self.functionStartLine = functionStartLine
    }

    /// A shorter display name for Swift functions (see `SwiftNameSimplifier`); other names
    /// unchanged.
    public var simplifiedFunction: String {
        Demangler.simplified(function, mangledName: mangledName)
    }
}
