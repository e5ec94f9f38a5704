import ArgumentParser
import Foundation
import MemprofAnalysis
import MemprofProfile

/// A failure the command line reports as one line, `memprof: <message>`, with exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    /// The line, without the `memprof: ` prefix.
    var description: String

    init(_ message: String) { description = message }
}

/// How errors reach the user: one line on standard error, never a stack trace.
enum Diagnostics {
    /// Runs `body`; a `CLIFailure`, profile, analysis or other error is printed as one line
    /// and turned into exit status 1. ArgumentParser's own errors (usage, `ExitCode`) pass.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch let e as ValidationError {
            throw e
        } catch {
            report(error)
            throw ExitCode.failure
        }
    }

    /// Prints an error as `memprof: message` on standard error (red on a terminal).
    static func report(_ error: Error) {
        printError(message(for: error))
    }

    /// The one-line message for any error the analysis commands meet.
    static func message(for error: Error) -> String {
        switch error {
        case let e as CLIFailure: return e.description
        case let e as AnalysisError: return e.description
        case let e as ProfileError: return e.message
        case let e as CustomStringConvertible: return e.description
        default: return "\(error)"
        }
    }

    /// "cannot write PATH: why", in the system's words ("Is a directory", "No such file or
    /// directory") rather than Foundation's generic "The operation could not be completed".
    static func cannotWrite(_ path: String, _ error: Error) -> String {
        if let problem = unwritable(path) { return problem }
        var cause = error as NSError
        while cause.domain != NSPOSIXErrorDomain, let underlying = cause.userInfo[NSUnderlyingErrorKey] as? NSError {
            cause = underlying
        }
        let why = cause.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(cause.code))) : error.localizedDescription
        return "cannot write \(path): \(why)"
    }

    /// "cannot write PATH: why" when a file written later at `path` (replaced atomically,
    /// through its directory) could not be written, nil when it can be.
    static func unwritable(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "cannot write \(path): \(String(cString: strerror(EISDIR)))"
        }
        let directory = (path as NSString).deletingLastPathComponent
        guard access(directory.isEmpty ? "." : directory, W_OK) == 0 else {
            return "cannot write \(path): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Writes `memprof: message` and a newline to standard error.
    static func printError(_ message: String) {
        let prefix = Terminal.standardError.paint("memprof:", .red)
        let line = prefix + " " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Colour for terminals only: nothing is added when the stream is not a terminal, or when
/// `NO_COLOR` is set (https://no-color.org), or `TERM=dumb`.
struct Terminal {
    /// Whether escape sequences are written.
    var colours: Bool

    /// ANSI styles used by the commands.
    enum Style: String {
        case bold = "1"
        case red = "1;31"
        case dim = "2"
        case cyan = "36"
    }

    static let standardOutput = Terminal(fd: STDOUT_FILENO)
    static let standardError = Terminal(fd: STDERR_FILENO)

    init(fd: Int32) {
        let env = ProcessInfo.processInfo.environment
        colours = isatty(fd) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
    }

    init(colours: Bool) { self.colours = colours }

    /// `text` in `style` when colours are on, unchanged otherwise.
    func paint(_ text: String, _ style: Style) -> String {
        colours ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}

/// Standard output without Foundation's buffering surprises: one write per call.
enum Output {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                Foundation.write(STDOUT_FILENO, buf.baseAddress! + offset, buf.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return  // a closed pipe (`| head`): stop quietly
            }
            offset += n
        }
    }
}
