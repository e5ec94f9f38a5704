import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension MemprofServer {
    /// `MEMPROF_HTTP`: where to listen, e.g. `127.0.0.1:6060`, `[::1]:6060`, `localhost:0`,
    /// or a bare port `6060` (loopback). Unset, empty, `0`, `off` or `false`: no server.
    public static let addressVariable = "MEMPROF_HTTP"
    /// `MEMPROF_HTTP_TOKEN`: a bearer token every request must carry. Required to listen on
    /// an address other than loopback (which `MEMPROF_HTTP` then names explicitly).
    public static let tokenVariable = "MEMPROF_HTTP_TOKEN"

    private static let fromEnvironment = Mutex<MemprofServer?>(nil)

    /// Starts the server `MEMPROF_HTTP` asks for, once per process: nil when the variable does
    /// not ask for one, the running server when it already started, else the result of
    /// starting (a failure is logged and returned, never fatal).
    ///
    /// A program that links MemprofHTTP gets this with no code change through the C entry
    /// point `memprof_http_start_from_environment()`, called at load time. Without the
    /// variable it returns at once and allocates nothing.
    @discardableResult
    public static func startFromEnvironment(logger: Logger? = nil) -> Result<MemprofServer, MemprofServerError>? {
        guard getenv(addressVariable) != nil, let value = environment(addressVariable),
              !["0", "off", "false", "no"].contains(value.lowercased()) else { return nil }
        let logger = logger ?? Logger(label: "memprof.http")
        return fromEnvironment.withLock { running -> Result<MemprofServer, MemprofServerError>? in
            if let running { return .success(running) }
            guard let (host, port) = parseAddress(value) else {
                let message = "\(addressVariable)=\(value): expected HOST:PORT, [IPV6]:PORT or PORT"
                logger.error("memprof HTTP server not started: \(message)")
                return .failure(MemprofServerError(message))
            }
            let token = environment(tokenVariable)
            let configuration = Configuration(host: host, port: port, allowNonLoopback: token != nil,
                                              handler: .init(token: token))
            let result = start(host: host, port: port, configuration: configuration, logger: logger)
            if case .success(let server) = result { running = server }
            return result
        }
    }

    /// The server started by `startFromEnvironment()`, if any.
    public static var environmentServer: MemprofServer? { fromEnvironment.withLock { $0 } }

    /// Splits `HOST:PORT`, `[IPV6]:PORT` or `PORT` (host 127.0.0.1), as `MEMPROF_HTTP` is
    /// read; nil if malformed.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        func port(_ digits: Substring) -> Int? {
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(digits), value <= 65535 else { return nil }
            return value
        }
        let text = Substring(text)
        if let value = port(text) { return ("127.0.0.1", value) }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard !host.isEmpty, rest.hasPrefix(":"), let value = port(rest.dropFirst()) else { return nil }
            return (String(host), value)
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = text[..<colon]
        guard !host.isEmpty, !host.contains(":"), let value = port(text[text.index(after: colon)...]) else { return nil }
        return (String(host), value)
    }

    private static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw).trimmingSpaces
        return value.isEmpty ? nil : value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// C entry point for a load-time hook: starts the server `MEMPROF_HTTP` asks for. Returns 1
/// when a server runs, 0 when none was asked for, -1 when starting failed (logged).
@_cdecl("memprof_http_start_from_environment")
public func memprof_http_start_from_environment() -> Int32 {
    // Checked first so that a program without the variable allocates nothing here.
    guard getenv("MEMPROF_HTTP") != nil else { return 0 }
    switch MemprofServer.startFromEnvironment() {
    case .none: return 0
    case .success?: return 1
    case .failure?: return -1
    }
}
