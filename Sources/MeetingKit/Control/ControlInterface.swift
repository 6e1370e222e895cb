import Foundation
import Logging
import NIOCore
import NIOPosix

/// Lines for a running bot to post into the room's chat: from standard input and/or a Unix socket.
///
/// Each line is one chat message. Later features (news, announcements) post through the same path.
public enum ControlInterface {
    /// The longest line taken; a chat message is short, and a runaway client must not grow memory.
    static let maximumLineBytes = 16 * 1024

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

    /// Standard input, line by line, until end of file.
    public static func standardInputLines() -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) {
                    continuation.yield(String(line.prefix(maximumLineBytes)))
                }
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
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
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

    /// Splits a byte stream at newlines; an overlong line is dropped up to its newline.
    struct LineDecoder: ByteToMessageDecoder {
        typealias InboundOut = String
        var discarding = false

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                if buffer.readableBytes > ControlInterface.maximumLineBytes {
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    discarding = true
                }
                return .needMoreData
            }
            let length = newline - buffer.readerIndex
            let line = buffer.readString(length: length) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            if discarding {
                discarding = false
                return .continue
            }
            let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
            context.fireChannelRead(wrapInboundOut(trimmed))
            return .continue
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
