import Logging
import Memprof
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Go's `/debug/pprof` endpoints, `/debug/memstats` and `/metrics` on SwiftNIO.
///
/// ```swift
/// switch MemprofServer.start(host: "127.0.0.1", port: 6060) {
/// case .success(let server): print("profiles at http://127.0.0.1:\(server.port)/debug/pprof/")
/// case .failure(let error): print("no memprof endpoint: \(error)")   // also logged
/// }
/// ```
/// then `go tool pprof http://127.0.0.1:6060/debug/pprof/heap`. Starting never traps: a
/// failure (port in use, a non-loopback address without opt-in and token) is logged through
/// swift-log and returned. `MEMPROF_HTTP=127.0.0.1:6060` starts it with no code change, see
/// `startFromEnvironment()`; `MemprofService` runs it in a swift-service-lifecycle group.
public final class MemprofServer: Sendable {
    /// The routes this server serves (share it to mount the same routes elsewhere).
    public let handler: MemprofRequestHandler
    /// The address bound.
    public let localAddress: SocketAddress
    /// The TCP port bound (the chosen one when started with port 0).
    public var port: Int { localAddress.port ?? 0 }

    private let channel: any Channel
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let connections: ConnectionRegistry
    private let logger: Logger

    private init(handler: MemprofRequestHandler, channel: any Channel, localAddress: SocketAddress,
                 ownedGroup: MultiThreadedEventLoopGroup?, connections: ConnectionRegistry, logger: Logger) {
        self.handler = handler
        self.channel = channel
        self.localAddress = localAddress
        self.ownedGroup = ownedGroup
        self.connections = connections
        self.logger = logger
    }

    /// Starts a server on `host:port` (blocks for the bind, a few milliseconds). Call it from
    /// ordinary code, not from an event loop (use the async `start(_:logger:)` there).
    @discardableResult
    public static func start(host: String = "127.0.0.1", port: Int = 6060,
                             configuration: Configuration = Configuration(),
                             logger: Logger = Logger(label: "memprof.http")) -> Result<MemprofServer, MemprofServerError> {
        var configuration = configuration
        configuration.host = host
        configuration.port = port
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            return fail("MemprofServer.start(host:port:) called on an event loop: use `await MemprofServer.start(_:)`",
                        logger)
        }
        let bound: Binding
        do {
            bound = try prepare(configuration, logger: logger)
        } catch {
            return fail("\(error)", logger)
        }
        do {
            return finish(bound, try bound.future.wait(), logger)
        } catch {
            try? bound.owned?.syncShutdownGracefully()
            return fail("cannot listen on \(configuration.host):\(configuration.port): \(error)", logger)
        }
    }

    /// Starts a server as `configuration` says, without blocking a thread.
    public static func start(_ configuration: Configuration,
                             logger: Logger = Logger(label: "memprof.http")) async -> Result<MemprofServer, MemprofServerError> {
        let bound: Binding
        do {
            bound = try prepare(configuration, logger: logger)
        } catch {
            return fail("\(error)", logger)
        }
        do {
            return finish(bound, try await bound.future.get(), logger)
        } catch {
            try? await bound.owned?.shutdownGracefully()
            return fail("cannot listen on \(configuration.host):\(configuration.port): \(error)", logger)
        }
    }

    /// Closes the listening socket and every connection, then stops its own event loop.
    public func stop() async {
        try? await channel.close()
        await connections.closeAll()
        try? await ownedGroup?.shutdownGracefully()
        logger.info("memprof HTTP server on \(Self.hostForURL(localAddress)):\(port) stopped")
    }

    private struct Binding {
        var handler: MemprofRequestHandler
        var group: (any EventLoopGroup)
        var owned: MultiThreadedEventLoopGroup?
        var connections: ConnectionRegistry
        var future: EventLoopFuture<any Channel>
    }

    private static func prepare(_ configuration: Configuration, logger: Logger) throws -> Binding {
        let address = try resolve(configuration)
        let handler = MemprofRequestHandler(configuration: configuration.handler, logger: logger)
        let owned = configuration.eventLoopGroup == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        // Memprof's own event loop does only memprof's work: counted, never sampled (as the
        // blocking thread's), so connections and responses add nothing to the profiles.
        owned?.next().execute { ProfilerWork.claimThread() }
        let group = configuration.eventLoopGroup ?? owned!
        let connections = ConnectionRegistry(limit: configuration.maxConnections)
        let future = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A client may close its side once it has sent its request: it still gets the
            // response (MemprofChannelHandler closes after it).
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.open(channel) else {
                        let busy = RequestDeadlineHandler.rawResponse(status: 503, message: "too many connections")
                        channel.writeAndFlush(channel.allocator.buffer(string: busy)).whenComplete { _ in
                            channel.close(promise: nil)
                        }
                        return
                    }
                    try MemprofPipeline.configure(channel, handler: handler, configuration: configuration)
                }
            }
            .bind(to: address)
        return Binding(handler: handler, group: group, owned: owned, connections: connections, future: future)
    }

    private static func finish(_ bound: Binding, _ channel: any Channel,
                               _ logger: Logger) -> Result<MemprofServer, MemprofServerError> {
        guard let address = channel.localAddress else {
            channel.close(promise: nil)
            return fail("the listening socket has no address", logger)
        }
        let server = MemprofServer(handler: bound.handler, channel: channel, localAddress: address,
                                   ownedGroup: bound.owned, connections: bound.connections, logger: logger)
        logger.info("memprof HTTP server listening on http://\(hostForURL(server.localAddress)):\(server.port)/debug/pprof/")
        return .success(server)
    }

    /// Resolves the host and enforces the loopback rule.
    private static func resolve(_ configuration: Configuration) throws -> SocketAddress {
        guard (0...65535).contains(configuration.port) else {
            throw MemprofServerError("invalid port \(configuration.port)")
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(configuration.host, port: configuration.port)
        } catch {
            throw MemprofServerError("cannot resolve \"\(configuration.host)\": \(error)")
        }
        if !address.isLoopback {
            guard configuration.allowNonLoopback else {
                throw MemprofServerError("refusing to listen on \(configuration.host) (\(address.ipAddress ?? "?")): "
                    + "not a loopback address; set allowNonLoopback and a token to expose memory profiles")
            }
            guard BearerToken(configuration.handler.token) != nil else {
                throw MemprofServerError("refusing to listen on \(configuration.host) without a token: "
                    + "set MEMPROF_HTTP_TOKEN (or the handler's token) to require it as a bearer token")
            }
        }
        return address
    }

    private static func hostForURL(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        return address.protocol == .inet6 ? "[\(ip)]" : ip
    }

    private static func fail(_ message: String, _ logger: Logger) -> Result<MemprofServer, MemprofServerError> {
        logger.error("memprof HTTP server not started: \(message)")
        return .failure(MemprofServerError(message))
    }
}

/// The open connections of a server: bounded, and closed together at stop.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Records a new connection; false when the limit is reached.
    func open(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let accepted = channels.withLock { open in
            guard open.count < limit else { return false }
            open[id] = channel
            return true
        }
        if accepted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = channels.withLock { $0.removeValue(forKey: id) }
            }
        }
        return accepted
    }

    var count: Int { channels.withLock { $0.count } }

    func closeAll() async {
        let open = channels.withLock { Array($0.values) }
        for channel in open { try? await channel.close() }
    }
}
