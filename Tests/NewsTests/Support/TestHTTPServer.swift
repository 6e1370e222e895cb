import CEngageZlib
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A programmable HTTP/1.1 server on 127.0.0.1 for the feed tests.
final class TestHTTPServer: Sendable {
    enum Route: Sendable {
        /// Answers 304 when the request's If-None-Match or If-Modified-Since matches.
        /// With `gzip` the body is compressed once, when the route is set.
        case document(body: [UInt8], contentType: String, etag: String? = nil, lastModified: String? = nil,
                      gzip: Bool = false)
        case redirect(status: Int, location: String)
        case status(Int)
        /// `total` bytes of filler, chunked or with a Content-Length, written as the client reads.
        case endless(total: Int, chunked: Bool)
        /// Accepts the request and never answers.
        case silent
    }

    struct Request: Sendable {
        var path: String
        var headers: HTTPHeaders
    }

    final class Shared: Sendable {
        let routes = Mutex<[String: Route]>([:])
        let log = Mutex<[Request]>([])
    }

    let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let shared = Shared()

    init() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let shared = self.shared
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(shared: shared))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    func url(_ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)\(path)") ?? URL(fileURLWithPath: "/")
    }

    func set(_ path: String, _ route: Route) {
        var route = route
        if case .document(let body, let type, let etag, let lastModified, true) = route {
            route = .document(body: TestGzip.compress(body), contentType: type, etag: etag, lastModified: lastModified,
                              gzip: true)
        }
        shared.routes.withLock { $0[path] = route }
    }

    var requests: [Request] { shared.log.withLock { $0 } }

    func requests(to path: String) -> [Request] { requests.filter { $0.path == path } }

    func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let shared: Shared
        var requestHead: HTTPRequestHead?

        init(shared: Shared) {
            self.shared = shared
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                requestHead = head
            case .body:
                break
            case .end:
                guard let head = requestHead else { return }
                let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                shared.log.withLock { $0.append(Request(path: path, headers: head.headers)) }
                let route = shared.routes.withLock { $0[path] } ?? .status(404)
                respond(route, request: head, context: context)
            }
        }

        private func respond(_ route: Route, request: HTTPRequestHead, context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "Connection", value: "close")
            switch route {
            case .document(let body, let contentType, let etag, let lastModified, let gzip):
                if let etag, request.headers.first(name: "If-None-Match") == etag {
                    send(.notModified, headers, [], context)
                    return
                }
                if let lastModified, request.headers.first(name: "If-Modified-Since") == lastModified {
                    send(.notModified, headers, [], context)
                    return
                }
                headers.add(name: "Content-Type", value: contentType)
                if let etag { headers.add(name: "ETag", value: etag) }
                if let lastModified { headers.add(name: "Last-Modified", value: lastModified) }
                if gzip { headers.add(name: "Content-Encoding", value: "gzip") }
                send(.ok, headers, body, context)
            case .redirect(let status, let location):
                headers.add(name: "Location", value: location)
                send(HTTPResponseStatus(statusCode: status), headers, [], context)
            case .status(let status):
                send(HTTPResponseStatus(statusCode: status), headers, Array("status \(status)".utf8), context)
            case .endless(let total, let chunked):
                if chunked {
                    headers.add(name: "Transfer-Encoding", value: "chunked")
                } else {
                    headers.add(name: "Content-Length", value: "\(total)")
                }
                headers.add(name: "Content-Type", value: "application/rss+xml")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                              promise: nil)
                writeFiller(remaining: total, context: context)
            case .silent:
                break
            }
        }

        private func send(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, _ body: [UInt8],
                          _ context: ChannelHandlerContext) {
            var headers = headers
            headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                          promise: nil)
            if !body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
                              promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }

        /// One 64 KiB piece at a time, the next only once the last was written: a client that
        /// stops reading stops the server, rather than the server buffering 50 MB.
        private func writeFiller(remaining: Int, context: ChannelHandlerContext) {
            guard remaining > 0 else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            let size = min(remaining, 64 * 1024)
            let piece = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: size)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(piece)))).assumeIsolated().whenComplete { result in
                if case .success = result {
                    self.writeFiller(remaining: remaining - size, context: context)
                }
            }
        }
    }
}

enum TestGzip {
    /// zlib keeps a pointer back to its stream, so the stream lives at one fixed address.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        guard cengage_gzip_deflate_init(stream, 9) == Z_OK else { return [] }
        defer { deflateEnd(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var source = input
        source.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = uInt(inputBuffer.count)
            var status = Z_OK
            repeat {
                chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.pointee.next_out = buffer.baseAddress
                    stream.pointee.avail_out = uInt(buffer.count)
                    status = deflate(stream, Z_FINISH)
                }
                output.append(contentsOf: chunk[..<(chunk.count - Int(stream.pointee.avail_out))])
            } while status == Z_OK
        }
        return output
    }
}
