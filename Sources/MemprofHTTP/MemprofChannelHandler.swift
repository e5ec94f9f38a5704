import Logging
import Memprof
import MemprofProfile
import NIOCore
import NIOHTTP1

/// The SwiftNIO adapter of `MemprofRequestHandler`: collects one request (within limits),
/// runs the handler in a task off the event loop, and writes the response with
/// `Content-Length`. It expects `HTTPServerPipelineHandler` before it, so requests come one at
/// a time, and optionally a `RequestDeadlineHandler` at the front.
///
/// Limits: a target longer than `maxURIBytes` gets 414, header fields totalling more than
/// `maxHeaderBytes` get 431 (the decoder stops far larger ones earlier), a body over
/// `maxBodyBytes` gets 413 and the connection is closed (only the symbol route reads a body). The task is cancelled if the client
/// goes away.
final class MemprofChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    struct Limits: Sendable {
        var maxURIBytes = 4096
        var maxHeaderBytes = 16 * 1024
        var maxBodyBytes = 64 * 1024
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, body: [UInt8])
        /// The request is refused; the answer goes out when it ends.
        case refusing(HTTPRequestHead, MemprofResponse)
        case responding(HTTPRequestHead, Task<Void, Never>)
        /// The connection is being closed: ignore the rest.
        case closing
    }

    private let handler: MemprofRequestHandler
    private let limits: Limits
    private let deadline: RequestDeadlineHandler?
    private var state = State.idle
    /// The client closed its side after its request: answer it, then close.
    private var closeAfterResponse = false

    init(handler: MemprofRequestHandler, limits: Limits = Limits(), deadline: RequestDeadlineHandler? = nil) {
        self.handler = handler
        self.limits = limits
        self.deadline = deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle) where head.method == .CONNECT:
            // The decoder takes CONNECT for a tunnel and parses nothing after its head, so no
            // end comes: answer it now (405, or 404, or 401, as the routes decide), then close.
            deadline?.requestReceived()
            closeAfterResponse = true
            respond(to: head, body: [], context: context)
        case (.head(let head), .idle):
            if let refusal = check(head) {
                state = .refusing(head, refusal)
            } else {
                state = .receiving(head, body: [])
                // curl sends `Expect: 100-continue` before a body over 1 KiB and waits a second
                // for this go-ahead (a symbol lookup's addresses).
                if head.version == .http1_1, head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                          promise: nil)
                }
            }
        case (.body(let chunk), .receiving(let head, var body)):
            if body.count + chunk.readableBytes > limits.maxBodyBytes {
                state = .closing
                if let deadline {
                    deadline.abort(status: 413, message: "request body too large (more than \(limits.maxBodyBytes) bytes)")
                } else {
                    context.close(promise: nil)
                }
            } else {
                state = .idle  // drop the reference so the append does not copy
                body += chunk.readableBytesView
                state = .receiving(head, body: body)
            }
        case (.body, _):
            break
        case (.end, .receiving(let head, let body)):
            deadline?.requestReceived()
            respond(to: head, body: body, context: context)
        case (.end, .refusing(let head, let response)):
            deadline?.requestReceived()
            write(response, for: head, close: true, context: context)
        case (.end, _), (.head, _):
            break
        }
    }

    /// The refusal a request head deserves, if any.
    private func check(_ head: HTTPRequestHead) -> MemprofResponse? {
        if head.uri.utf8.count > limits.maxURIBytes {
            return .error(414, "request target too long (more than \(limits.maxURIBytes) bytes)")
        }
        let headerBytes = head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > limits.maxHeaderBytes {
            return .error(431, "request header fields too large (more than \(limits.maxHeaderBytes) bytes)")
        }
        return nil
    }

    private func respond(to head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        let request = MemprofRequest(method: head.method.rawValue, uri: head.uri,
                                     headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
        let handler = self.handler
        let promise = context.eventLoop.makePromise(of: MemprofResponse.self)
        let task = Task {
            promise.succeed(await handler.handle(request))
        }
        state = .responding(head, task)
        promise.futureResult.assumeIsolated().whenSuccess { [weak self] response in
            guard let self, case .responding = self.state else { return }
            self.write(response, for: head, close: false, context: context)
        }
    }

    private func write(_ response: MemprofResponse, for head: HTTPRequestHead, close: Bool,
                       context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive && !close && !closeAfterResponse
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if head.version.major == 1 && head.version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: response.status, reasonPhrase: response.reasonPhrase)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        let finish = { [self] in
            ProfilerWork.flushClaimedThread()
            state = keepAlive ? .idle : .closing
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if keepAlive {
                deadline?.responseSent()
            } else {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
        if head.method != .HEAD && !response.body.isEmpty {
            writeBody(response.body, from: 0, context: context, then: finish)
        } else {
            finish()
        }
    }

    /// Bytes of a body written at a time.
    static let chunkBytes = 64 * 1024

    /// Writes `body` from `offset` in chunks of at most `chunkBytes`, each once the one
    /// before has been written: the event loop copies a chunk at a time into a buffer of one
    /// size, not the whole profile into a buffer of its length (which glibc's arena of the
    /// event loop thread would keep, and grow, as profiles grow). The copies are the
    /// profiler's own work: counted, not sampled.
    private func writeBody(_ body: [UInt8], from offset: Int, context: ChannelHandlerContext,
                           then finish: @escaping () -> Void) {
        let end = min(body.count, offset + Self.chunkBytes)
        let chunk = ProfilerWork.unsampled {
            let capacity = body.count <= Self.chunkBytes ? AllocationSizeClass.capacity(atLeast: body.count) : Self.chunkBytes
            var chunk = context.channel.allocator.buffer(capacity: capacity)
            chunk.writeBytes(body[offset..<end])
            return chunk
        }
        guard end < body.count else {
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            finish()
            return
        }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk)))).assumeIsolated().whenComplete { [self] result in
            guard case .success = result else { return }
            if case .closing = state { return }
            writeBody(body, from: end, context: context, then: finish)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .responding(_, let task) = state { task.cancel() }
        state = .closing
        context.fireChannelInactive()
    }

    /// A client that half-closes after its request (`nc -N`, some HTTP/1.0 clients; the
    /// server allows remote half-closure) still gets its response, then the close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .responding, .refusing:
            closeAfterResponse = true
        case .idle, .receiving:
            state = .closing
            Self.closeAfterWrites(context)
        case .closing:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handler.state.logger.debug("memprof HTTP connection error: \(error)")
        if case .responding(_, let task) = state { task.cancel() }
        state = .closing
        Self.closeAfterWrites(context)
    }

    /// Closes once what is queued has gone out: the output first (NIO half-closes it after its
    /// pending writes, such as the end of a large response the error came after), then the
    /// rest. A plain close would drop the queued bytes and cut the response short. A client
    /// that never reads them does not keep the connection: it is closed after
    /// `drainTimeout` whatever is left.
    private static func closeAfterWrites(_ context: ChannelHandlerContext) {
        let output = context.eventLoop.makePromise(of: Void.self)
        context.flush()
        context.close(mode: .output, promise: output)
        let loop = context.eventLoop.assumeIsolated()
        let deadline = loop.scheduleTask(in: drainTimeout) { context.close(promise: nil) }
        output.futureResult.assumeIsolated().whenComplete { _ in
            deadline.cancel()
            context.close(promise: nil)
        }
    }

    /// Longest wait for queued bytes to go out before a close.
    static let drainTimeout = TimeAmount.seconds(10)
}
