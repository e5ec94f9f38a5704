import NIOCore

/// Guards a connection against slow and idle clients. It sits first in the pipeline and sees
/// raw bytes, so it notices a request from its first byte, before any header is complete:
/// - a request must arrive completely within `requestTimeout` of its first byte, else the
///   client gets `408 Request Timeout` and the connection is closed (slowloris);
/// - a kept-alive connection with no request for `idleTimeout` is closed, and a new one that
///   sends nothing within `requestTimeout` (the shorter wait: otherwise silent connections
///   would hold every connection slot for the whole idle timeout).
/// `MemprofChannelHandler` tells it when a request is complete and when its response is sent;
/// no timer runs in between, however long the profile takes.
///
/// When the connection is closed in the middle of a request (an error answer to a huge
/// header, a body over the limit, a timeout) it closes "lingering", as web servers do: it
/// sends the answer and a FIN, then reads and drops what the client still sends for up to
/// `lingerTimeout` before closing. Closing at once with unread input makes the kernel send a
/// reset, and the client would lose the answer.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case idle, receiving, processing, lingering }

    let requestTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let lingerTimeout = TimeAmount.seconds(2)
    /// Most bytes dropped while lingering before closing anyway.
    let lingerBytes = 1 << 20
    private var phase = Phase.idle
    private var droppedBytes = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// A complete response with `Connection: close`, as raw bytes (this handler sits before
    /// the HTTP encoder).
    static func rawResponse(status: Int, message: String) -> String {
        let body = message + "\n"
        return "HTTP/1.1 \(status) \(MemprofResponse.reasonPhrase(status))\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
    }

    init(requestTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(firstRequestTimeout, phase: .idle) }
    }

    /// How long a new connection may stay silent.
    private var firstRequestTimeout: TimeAmount { min(requestTimeout, idleTimeout) }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil { arm(firstRequestTimeout, phase: .idle) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .lingering {
            droppedBytes += unwrapInboundIn(data).readableBytes
            if droppedBytes > lingerBytes { context.close(promise: nil) }
            return
        }
        if phase == .idle { arm(requestTimeout, phase: .receiving) }
        context.fireChannelRead(data)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all && phase == .receiving && context.channel.isActive {
            lingeringClose(context: context, promise: promise)
        } else {
            context.close(mode: mode, promise: promise)
        }
    }

    /// Flushes, half-closes the output, drops input until the client closes or
    /// `lingerTimeout` passes, then closes.
    private func lingeringClose(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        timer?.cancel()
        phase = .lingering
        context.flush()
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: halfClosed)
        halfClosed.futureResult.assumeIsolated().whenFailure { _ in
            // No half-close here (e.g. a test channel): close at once.
            context.close(mode: .all, promise: nil)
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: lingerTimeout) {
            context.close(mode: .all, promise: nil)
        }
        if let promise { context.channel.closeFuture.cascade(to: promise) }
    }

    /// The request being received is complete: its response is being prepared.
    func requestReceived() {
        guard phase != .lingering else { return }
        timer?.cancel()
        timer = nil
        phase = .processing
    }

    /// The response was written: wait for the next request.
    func responseSent() {
        arm(idleTimeout, phase: .idle)
    }

    private func arm(_ timeout: TimeAmount, phase: Phase) {
        guard self.phase != .lingering else { return }
        timer?.cancel()
        self.phase = phase
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.expire()
        }
    }

    /// Answers the request being received with `status` and closes the connection, without
    /// waiting for the rest of it (a body over the limit). Only while no response is pending.
    func abort(status: Int, message: String) {
        timer?.cancel()
        timer = nil
        guard let context, context.channel.isActive, phase != .lingering else { return }
        let bytes = context.channel.allocator.buffer(string: Self.rawResponse(status: status, message: message))
        context.write(wrapOutboundOut(bytes), promise: nil)
        lingeringClose(context: context, promise: nil)
    }

    private func expire() {
        timer = nil
        guard let context, context.channel.isActive else { return }
        if phase == .receiving {
            abort(status: 408, message: "request timeout")
        } else {
            context.close(promise: nil)
        }
    }
}
