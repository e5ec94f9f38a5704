/// Why a profile could not be read, merged or written.
///
/// The message is one line that says what is wrong and where, for example
/// `truncated varint at byte 1234` or `location 7 refers to missing function 99`.
public struct ProfileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The broad class of a failure, for callers that react differently to each.
    public enum Kind: Equatable, Sendable {
        /// The input is not a protobuf-encoded profile at all (empty, text, wrong wire data).
        case notAProfile
        /// The protobuf framing is broken: truncated data, bad lengths, bad wire types.
        case malformed
        /// The data decodes, but breaks a rule of profile.proto (IDs, references, counts).
        case invalid
        /// The gzip layer failed (corrupt or truncated stream).
        case gzip
        /// A `ParseLimits` bound was exceeded.
        case limitExceeded
        /// Profiles that cannot be combined (different sample or period types).
        case incompatible
    }

    /// The class of failure.
    public var kind: Kind
    /// One-line human-readable message.
    public var message: String
    /// Byte offset in the (decompressed) protobuf where decoding failed, when known.
    public var offset: Int?

    /// Makes an error of `kind` with `message`; `offset` is informative only.
    public init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    /// The one-line message.
    public var description: String { message }
}

extension ProfileError {
    static func malformed(_ what: String, at offset: Int) -> ProfileError {
        ProfileError(.malformed, "\(what) at byte \(offset)", offset: offset)
    }

    static func invalid(_ message: String) -> ProfileError {
        ProfileError(.invalid, message)
    }

    static func limit(_ message: String, at offset: Int? = nil) -> ProfileError {
        if let offset {
            return ProfileError(.limitExceeded, "\(message) at byte \(offset)", offset: offset)
        }
        return ProfileError(.limitExceeded, message)
    }
}

/// Formats a byte count as Go's pprof would name a limit: `1 GiB`, `64 MiB`, `512 KiB`, `100 bytes`.
func formatByteCount(_ n: Int) -> String {
    let units: [(Int, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where n >= size && n % size == 0 {
        return "\(n / size) \(name)"
    }
    return "\(n) bytes"
}

/// `s` made safe for a one-line message: control characters escaped, cut after `limit`
/// characters.
func printable(_ s: String, limit: Int = 40) -> String {
    var out = ""
    for (i, scalar) in s.unicodeScalars.enumerated() {
        if i == limit {
            out += "…"
            break
        }
        if scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\u{2028}" || scalar == "\u{2029}" {
            out += scalar.escaped(asASCII: true)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
