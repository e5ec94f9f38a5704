import NIOCore

extension MemprofServer {
    /// Where and how the server listens. The defaults bind to loopback only.
    public struct Configuration: Sendable {
        /// Host to bind: an IP address or a name resolved once at start. Default `127.0.0.1`.
        public var host: String
        /// TCP port; 0 picks a free one (see `MemprofServer.port`). Default 6060, as Go's
        /// documentation uses.
        public var port: Int
        /// Must be true to bind to an address other than loopback (127.0.0.0/8, ::1); a
        /// token (`handler.token`) is then required too.
        public var allowNonLoopback: Bool
        /// The routes' settings, including the bearer token.
        public var handler: MemprofRequestHandler.Configuration
        /// Time from a request's first byte to its end; slower clients get 408. A new
        /// connection that sends nothing for this long (or `idleTimeout`, if shorter) is closed.
        public var requestTimeout: Duration
        /// Time a kept-alive connection may stay without a request before it is closed.
        public var idleTimeout: Duration
        /// Longest request target (path and query); longer gets 414.
        public var maxURIBytes: Int
        /// Most bytes of header fields; more gets 431.
        public var maxHeaderBytes: Int
        /// Most bytes of a request body (the routes take none); more gets 413.
        public var maxBodyBytes: Int
        /// Most connections open at once; more are answered 503 and closed.
        public var maxConnections: Int
        /// The event loops to run on; nil: one thread of its own, shut down by `stop()`.
        public var eventLoopGroup: (any EventLoopGroup)?

        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 6060, allowNonLoopback: Bool = false,
                    handler: MemprofRequestHandler.Configuration = .init(),
                    requestTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                    maxURIBytes: Int = 4096, maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 64 * 1024,
                    maxConnections: Int = 64, eventLoopGroup: (any EventLoopGroup)? = nil) {
            self.host = host
            self.port = port
            self.allowNonLoopback = allowNonLoopback
            self.handler = handler
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
            self.maxURIBytes = maxURIBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.maxConnections = maxConnections
            self.eventLoopGroup = eventLoopGroup
        }
    }
}

/// Why the server did not start.
public struct MemprofServerError: Error, CustomStringConvertible, Sendable {
    /// A message for people, e.g. `cannot listen on 127.0.0.1:6060: Address already in use`.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

extension SocketAddress {
    /// Whether this is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
    var isLoopback: Bool {
        guard let ip = ipAddress else { return false }
        switch self.protocol {
        case .inet: return ip.hasPrefix("127.")
        case .inet6: return ip == "::1" || ip.lowercased().hasPrefix("::ffff:127.")
        default: return false
        }
    }
}
