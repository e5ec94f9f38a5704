import NIOCore
import NIOHTTP1

/// The handlers of one server connection, front to back: `RequestDeadlineHandler` (raw
/// bytes: slow and idle clients), NIO's HTTP/1.1 encoder, decoder (with header limits) and
/// pipelining handler, `ProtocolErrorHandler` (400/431 for what the decoder rejects), and
/// `MemprofChannelHandler` (runs the routes).
enum MemprofPipeline {
    /// Adds the handlers to `channel`; call it on the channel's event loop.
    static func configure(_ channel: any Channel, handler: MemprofRequestHandler,
                          configuration: MemprofServer.Configuration) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        // Past this the decoder stops reading and the client gets 431; below it our own,
        // smaller limit answers 431 from the parsed head.
        decoderLimits.maxHeaderListSize = max(configuration.maxHeaderBytes * 2, 8192)
        decoderLimits.maxHeaderFieldSize = decoderLimits.maxHeaderListSize
        decoderLimits.maxHeaderFieldCount = 256
        let limits = MemprofChannelHandler.Limits(maxURIBytes: configuration.maxURIBytes,
                                                  maxHeaderBytes: configuration.maxHeaderBytes,
                                                  maxBodyBytes: configuration.maxBodyBytes)
        let sync = channel.pipeline.syncOperations
        let deadline = RequestDeadlineHandler(requestTimeout: TimeAmount(configuration.requestTimeout),
                                              idleTimeout: TimeAmount(configuration.idleTimeout))
        try sync.addHandler(deadline)
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: false, withOutboundHeaderValidation: true,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        try sync.addHandler(ProtocolErrorHandler())
        try sync.addHandler(MemprofChannelHandler(handler: handler, limits: limits, deadline: deadline))
    }
}
