import Logging
import ServiceLifecycle

/// The memprof server as a swift-service-lifecycle `Service`:
///
/// ```swift
/// let group = ServiceGroup(services: [app, MemprofService()], logger: logger)
/// try await group.run()
/// ```
/// `run()` starts the server, serves until graceful shutdown or cancellation, then stops it.
/// If the server cannot start, the failure is logged and `run()` still waits for shutdown
/// instead of returning (returning would end the whole group): observability never takes
/// the service down.
public struct MemprofService: Service {
    /// Where and how to listen.
    public var configuration: MemprofServer.Configuration
    /// The logger for start, stop and failures.
    public var logger: Logger

    /// Creates the service; nothing happens before `run()`.
    public init(configuration: MemprofServer.Configuration = .init(), logger: Logger = Logger(label: "memprof.http")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        let server = try? await MemprofServer.start(configuration, logger: logger).get()
        // Returns when shutdown is requested; throws when the task is cancelled.
        try? await gracefulShutdown()
        await server?.stop()
    }
}
