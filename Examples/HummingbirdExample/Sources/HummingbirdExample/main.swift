import Foundation
import Hummingbird
import MemprofHTTP

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
let router = Router()
router.get("/hello") { _, _ in
    "hello, \(await kept.add(64 * 1024)) blocks kept\n"
}
router.addMemprofRoutes()

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
