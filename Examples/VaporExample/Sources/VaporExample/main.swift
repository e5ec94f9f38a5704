import Foundation
import MemprofHTTP
import Vapor

// A tiny service that keeps some memory, with memprof's routes mounted beside its own.
// Listens on 127.0.0.1:$PORT (8080 by default).
let port = ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 8080

/// Blocks the service keeps, so its heap profile has something in it.
actor Kept {
    private var blocks: [[UInt8]] = []

    func add(_ bytes: Int) -> Int {
        blocks.append([UInt8](repeating: 1, count: bytes))
        return blocks.count
    }
}

let kept = Kept()
let app = try await Application.make(Environment(name: "development", arguments: ["vapor"]))
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = port
app.get("hello") { _ async -> String in
    "hello, \(await kept.add(64 * 1024)) blocks kept\n"
}
app.addMemprofRoutes()
do {
    try await app.execute()
} catch {
    app.logger.report(error: error)
}
try await app.asyncShutdown()
