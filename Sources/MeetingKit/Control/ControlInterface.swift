import Foundation
import Logging
import NIOCore
import NIOPosix
import OperatorInput

/// Lines for a running bot to post into the room's chat: from standard input and/or a Unix socket.
///
/// Each line is one chat message. Later features (news, announcements) post through the same path.
public enum ControlInterface {
    /// The longest line taken; a chat message is short, and a runaway client must not grow memory.
    static let maximumLineBytes = ControlLineSplitter.maximumLineBytes

    /// One stream of the lines of several sources, in arrival order.
    public static func merge(_ sources: [AsyncStream<String>]) -> AsyncStream<String> {
        AsyncStream { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    for source in sources {
                        group.addTask { for await line in source { continuation.yield(line) } }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Standard input, line by line, until end of file. Cut as the control socket's lines are
    /// (`ControlLineSplitter`): `readLine` would hold a line of any length, and cut one that is too long
    /// where the socket drops it.
    public static func standardInputLines(logger: Logger) -> AsyncStream<String> {
        lines(readingDescriptor: STDIN_FILENO, named: "standard input", logger: logger)
    }

    /// The lines read from `descriptor` until end of file or an error, on a thread of their own (reads block).
    static func lines(readingDescriptor descriptor: Int32, named name: String, logger: Logger) -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                var splitter = ControlLineSplitter()
                var buffer = [UInt8](repeating: 0, count: 4096)
                func pass(_ lines: (inout ControlLineSplitter) -> [String]) {
                    let dropped = splitter.droppedLines
                    for line in lines(&splitter) where !line.isEmpty { continuation.yield(line) }
                    if splitter.droppedLines > dropped {
                        logger.warning("\(name): line longer than \(maximumLineBytes) bytes dropped")
                    }
                }
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    pass { $0.take(buffer[..<count]) }
                }
                pass { $0.finish().map { [$0] } ?? [] }
                continuation.finish()
            }
        }
    }

    /// A Unix stream socket at `path`: every connected client may write lines. Removed again on shutdown.
    public static func socketLines(path: String, group: any EventLoopGroup, logger: Logger) async throws
        -> (lines: AsyncStream<String>, close: @Sendable () async -> Void)
    {
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(logger: logger)))
                    try channel.pipeline.syncOperations.addHandler(LineForwarder(continuation: continuation))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        logger.info("control socket listening at \(path)")
        return (lines, {
            try? await channel.close()
            continuation.finish()
            try? FileManager.default.removeItem(atPath: path)
        })
    }

    /// NIO's side of `ControlLineSplitter`: each read's bytes in, the lines they complete passed on.
    struct LineDecoder: ByteToMessageDecoder {
        typealias InboundOut = String
        var splitter = ControlLineSplitter()
        let logger: Logger

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let dropped = splitter.droppedLines
            let lines = splitter.take(buffer.readableBytesView)
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            if splitter.droppedLines > dropped {
                logger.warning("control socket: line longer than \(ControlInterface.maximumLineBytes) bytes dropped")
            }
            for line in lines { context.fireChannelRead(wrapInboundOut(line)) }
            return .needMoreData
        }

        mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer,
                                 seenEOF: Bool) throws -> DecodingState {
            _ = try decode(context: context, buffer: &buffer)
            if seenEOF, let line = splitter.finish() { context.fireChannelRead(wrapInboundOut(line)) }
            return .needMoreData
        }
    }

    final class LineForwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = String
        let continuation: AsyncStream<String>.Continuation

        init(continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let line = unwrapInboundIn(data)
            if !line.isEmpty { continuation.yield(line) }
        }
    }
}
