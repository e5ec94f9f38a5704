/// Why a module, file or debug section could not be read.
///
/// Symbolization never traps on bad input: readers throw one of these, and the
/// `Symbolizer` turns a module that fails to load into "no frames" for its addresses.
public enum SymbolicationError: Error, Equatable, CustomStringConvertible {
    /// `open`, `fstat`, `mmap` or `read` failed (`errno` is the C error number).
    case cannotOpen(path: String, errno: Int32)
    /// The file does not start with the ELF magic bytes.
    case notELF(path: String)
    /// A valid ELF file of a kind this reader does not handle (32-bit, big-endian, ...).
    case unsupportedELF(path: String, reason: String)
    /// A structure points outside its file or section, or holds impossible values.
    case malformed(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            return "cannot open \(path): \(String(cString: strerror(code)))"
        case .notELF(let path):
            return "\(path) is not an ELF file"
        case .unsupportedELF(let path, let reason):
            return "\(path): unsupported ELF file: \(reason)"
        case .malformed(let what):
            return "malformed data: \(what)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
