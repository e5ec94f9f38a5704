import NIOCore
import NIOHTTP1

/// Answers requests the HTTP parser rejected: `431` when the header block is too large (or
/// has too many fields), `400` for anything else malformed, each with a one-line message and
/// `Connection: close`. The decoder closes the connection afterwards. (NIO's own
/// `HTTPServerProtocolErrorHandler` answers 400 to everything, with no body.)
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response has been started and not ended: an error answer would corrupt it.
    private var responseInProgress = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !responseInProgress {
            let (status, message): (Int, String) = parserError == .headerOverflow
                ? (431, "request header fields too large\n") : (400, "malformed HTTP request\n")
            let headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"),
                                       ("Content-Length", "\(message.utf8.count)"), ("Connection", "close")])
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: message)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responseInProgress = true
        case .end: responseInProgress = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
