import Foundation
import MemprofProfile
import MemprofSymbolication

/// Reads profiles for the analysis commands: from a file, from standard input (`-`) or from
/// an http(s) URL, and turns every failure into one line naming the source.
enum ProfileLoader {
    /// Largest input read, as `Profile.parse` bounds decompressed data: a bigger file (or
    /// `/dev/zero`) is refused instead of filling memory.
    static let maxInputBytes = ParseLimits.default.maxDecompressedBytes

    /// Whether `source` names a URL rather than a file.
    static func isURL(_ source: String) -> Bool {
        source.hasPrefix("http://") || source.hasPrefix("https://")
    }

    /// The raw bytes of `source`; failures are `CLIFailure`s such as
    /// `heap.pb.gz: No such file or directory`.
    static func bytes(of source: String, timeout: Double) throws -> [UInt8] {
        if isURL(source) {
            do {
                return try HTTPFetcher(timeout: timeout, maxBytes: maxInputBytes).get(source)
            } catch let failure as HTTPFetcher.Failure {
                throw CLIFailure("\(source): \(failure.description)")
            }
        }
        return try readFile(source)
    }

    /// Reads and parses `source`; a memprof profile served without symbols (`?symbolize=0`)
    /// is symbolized from the binaries on disk unless `symbolize` is false.
    static func load(_ source: String, timeout: Double, symbolize: Bool = true) throws -> Profile {
        let data = try bytes(of: source, timeout: timeout)
        let profile: Profile
        do {
            profile = try Profile.parse(data)
        } catch {
            throw CLIFailure("\(displayName(source)): \(describe(error))")
        }
        guard symbolize, ProfileSymbolizer.needsSymbols(profile) else { return profile }
        let result = ProfileSymbolizer.symbolize(profile)
        for warning in result.warnings { FileHandle.standardError.write(Data("memprof: \(warning)\n".utf8)) }
        return result.profile
    }

    /// A parse error as a sentence that says the input is not (or no longer) a profile.
    static func describe(_ error: ProfileError) -> String {
        switch error.kind {
        case .notAProfile:
            return error.message
        case .malformed, .invalid, .gzip:
            return "not a valid pprof profile: " + error.message
        case .limitExceeded, .incompatible:
            return error.message
        }
    }

    static func displayName(_ source: String) -> String { source == "-" ? "standard input" : source }

    /// Reads a whole file (or standard input for `-`) with plain system calls, refusing more
    /// than `maxInputBytes`.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIFailure("\(path): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var info = stat()
        var bytes: [UInt8] = []
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG {
            bytes.reserveCapacity(min(Int(info.st_size), maxInputBytes) + 1)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIFailure("\(displayName(path)): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxInputBytes {
                throw CLIFailure("\(displayName(path)): larger than \(maxInputBytes >> 20) MiB: not a profile")
            }
        }
        return bytes
    }
}
