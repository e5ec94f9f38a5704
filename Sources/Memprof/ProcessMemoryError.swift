#if canImport(Glibc)
import Glibc
#endif

/// Why `ProcessMemory.read(pid:)` failed.
public struct ProcessMemoryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kinds of failure.
    public enum Kind: Sendable, Equatable {
        /// No such process (it never existed, or it exited and was reaped).
        case noSuchProcess
        /// The process may not be inspected: it belongs to another user, or to another user
        /// namespace (reading smaps needs ptrace-read access: the same user, or
        /// `CAP_SYS_PTRACE`, subject to `kernel.yama.ptrace_scope`).
        case permissionDenied
        /// The pid is not a valid process id (zero or negative).
        case invalidPID
        /// `/proc` could not be read for another reason (see `errno`).
        case readFailed
    }

    /// What went wrong.
    public var kind: Kind
    /// The process that was asked for.
    public var pid: Int32
    /// The `/proc` file that could not be read (empty for `.invalidPID`).
    public var path: String
    /// The `errno` of the failed call (0 when there was none).
    public var errno: Int32

    /// Creates an error; the kind is derived from `errno` (`ENOENT`/`ESRCH` mean the process is
    /// gone, `EACCES`/`EPERM` that it may not be read).
    init(pid: Int32, path: String, errno: Int32) {
        self.pid = pid
        self.path = path
        self.errno = errno
        switch errno {
        case ENOENT, ESRCH: kind = .noSuchProcess
        case EACCES, EPERM: kind = .permissionDenied
        default: kind = .readFailed
        }
    }

    /// An error for a pid that cannot name a process.
    static func invalid(pid: Int32) -> ProcessMemoryError {
        var error = ProcessMemoryError(pid: pid, path: "", errno: 0)
        error.kind = .invalidPID
        return error
    }

    /// A one-line message, e.g. `no process with pid 12345`.
    public var description: String {
        switch kind {
        case .noSuchProcess:
            return "no process with pid \(pid)"
        case .permissionDenied:
            return "permission denied reading \(path): reading another user's process needs root (CAP_SYS_PTRACE)"
        case .invalidPID:
            return "invalid pid \(pid)"
        case .readFailed:
            return "cannot read \(path): \(String(cString: strerror(errno)))"
        }
    }
}
