import HTTPTypes
import Hummingbird
import MemprofHTTP
import NIOCore

extension Router {
    /// Routes `/debug/pprof`, `/debug/pprof/*`, `/debug/memstats` and `/metrics` to `memprof`.
    ///
    /// Copy this file into your application, then mount the routes with one line:
    /// `router.addMemprofRoutes()`.
    public func addMemprofRoutes(_ memprof: MemprofRequestHandler = MemprofRequestHandler()) {
        @Sendable func route(_ request: Request, _ context: Context) async throws -> Response {
            // Only POST /debug/pprof/symbol has a body: a list of addresses, a few KiB at most.
            let body = try await request.body.collect(upTo: 64 * 1024)
            let answer = await memprof.handle(MemprofRequest(
                method: request.method.rawValue, uri: request.uri.description,
                headers: request.headers.map { ($0.name.rawName, $0.value) },
                body: Array(buffer: body)))
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        get("/debug/pprof", use: route)
        get("/debug/pprof/**", use: route)
        post("/debug/pprof/symbol", use: route)
        get("/debug/memstats", use: route)
        get("/metrics", use: route)
    }
}
