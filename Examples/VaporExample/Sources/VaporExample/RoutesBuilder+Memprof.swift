import MemprofHTTP
import Vapor

extension RoutesBuilder {
    /// Routes `/debug/pprof`, `/debug/pprof/*`, `/debug/memstats` and `/metrics` to `memprof`.
    ///
    /// Copy this file into your application, then mount the routes with one line:
    /// `app.addMemprofRoutes()`.
    public func addMemprofRoutes(_ memprof: MemprofRequestHandler = MemprofRequestHandler()) {
        let route: @Sendable (Request) async throws -> Response = { request in
            // Only POST /debug/pprof/symbol has a body: a list of addresses, a few KiB at most.
            let body = request.body.data.map { Array($0.readableBytesView) } ?? []
            let answer = await memprof.handle(MemprofRequest(
                method: request.method.rawValue, uri: request.url.string,
                headers: request.headers.map { ($0.name, $0.value) }, body: body))
            return Response(status: HTTPResponseStatus(statusCode: answer.status),
                            headers: HTTPHeaders(answer.headers.map { ($0.name, $0.value) }),
                            body: Response.Body(buffer: ByteBuffer(bytes: answer.body)))
        }
        on(.GET, "debug", "pprof", use: route)
        on(.GET, "debug", "pprof", "**", use: route)
        on(.POST, "debug", "pprof", "symbol", body: .collect(maxSize: "64kb"), use: route)
        on(.GET, "debug", "memstats", use: route)
        on(.GET, "metrics", use: route)
    }
}
