import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client for feeds and webhooks: one request per connection, redirects and conditional
/// GET for feeds, POST for webhooks, gzip, and limits on time and size that hold against servers that lie
/// or stall.
public struct HTTPFetcher: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeout: TimeAmount = .seconds(10)
        /// The longest silence while waiting for or reading the response.
        public var readTimeout: TimeAmount = .seconds(20)
        /// The whole exchange, redirects included: a server trickling bytes cannot hold us longer.
        public var totalTimeout: TimeAmount = .seconds(60)
        public var maximumRedirects = 5
        /// Applies to the bytes received and, separately, to the bytes after gzip decoding.
        public var maximumBodyBytes = 5 * 1024 * 1024
        public var userAgent = "EngageBot-News/1.0 (+headless meeting recorder)"
        public var tlsConfiguration: TLSConfiguration = .makeClientConfiguration()

        public init() {}
    }

    /// What a conditional GET sends back to the server.
    public struct Validators: Codable, Sendable, Equatable {
        public var etag: String?
        public var lastModified: String?

        public init(etag: String? = nil, lastModified: String? = nil) {
            self.etag = etag
            self.lastModified = lastModified
        }
    }

    public enum Response: Sendable, Equatable {
        /// 304: what we had is current.
        case notModified
        /// `url` is the last one after redirects.
        case ok(body: [UInt8], contentType: String?, url: URL, validators: Validators)
    }

    public let group: any EventLoopGroup
    public let configuration: Configuration

    public init(group: any EventLoopGroup, configuration: Configuration = Configuration()) {
        self.group = group
        self.configuration = configuration
    }

    public func fetch(_ url: URL, validators: Validators = Validators()) async throws -> Response {
        let eventLoop = group.next()
        let deadline = NIODeadline.now() + configuration.totalTimeout
        var current = url
        var visited: Set<String> = []
        for _ in 0...configuration.maximumRedirects {
            visited.insert(current.absoluteString)
            let hop = try await fetchOnce(current, validators: validators, on: eventLoop, deadline: deadline)
            switch hop.status.code {
            case 200...299:
                return .ok(body: hop.body, contentType: hop.headers.first(name: "Content-Type"), url: current,
                           validators: Validators(etag: hop.headers.first(name: "ETag"),
                                                  lastModified: hop.headers.first(name: "Last-Modified")))
            case 304:
                return .notModified
            case 301, 302, 303, 307, 308:
                guard let location = hop.headers.first(name: "Location"),
                      let next = URL(string: location, relativeTo: current)?.absoluteURL,
                      let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https"
                else {
                    throw NewsError(.redirect, "HTTP \(hop.status.code) from \(current) without a usable http(s) Location")
                }
                guard !visited.contains(next.absoluteString) else {
                    throw NewsError(.redirect, "redirect loop at \(next)")
                }
                current = next
            default:
                throw NewsError(.http, "HTTP \(hop.status.code) \(hop.status.reasonPhrase) from \(current)")
            }
        }
        throw NewsError(.redirect, "more than \(configuration.maximumRedirects) redirects from \(url)")
    }

    struct Hop: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// POSTs `body` to `url` (no redirects followed: a webhook goes where it was configured to go) and
    /// returns the response's status code; the response body is read only for a 2xx, within the limit.
    public func post(_ url: URL, body: [UInt8], headers: [(String, String)]) async throws -> Int {
        try await send("POST", url, body: body, headers: headers).status
    }

    /// What a request other than a feed's GET got back.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        /// Read only for a 2xx, within the limit.
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Sends one request with `method` (no redirects followed) and returns the reply: for object storage and
    /// webhooks. `headers` are added after the client's own (Host, User-Agent, Content-Length).
    public func send(_ method: String, _ url: URL, body: [UInt8], headers: [(String, String)]) async throws -> Reply {
        let deadline = NIODeadline.now() + configuration.totalTimeout
        let hop = try await fetchOnce(url, validators: Validators(), request: (HTTPMethod(rawValue: method), body, headers),
                                      on: group.next(), deadline: deadline)
        return Reply(status: Int(hop.status.code), headers: hop.headers.map { (name: $0.name, value: $0.value) }, body: hop.body)
    }

    private func fetchOnce(_ url: URL, validators: Validators,
                           request send: (method: HTTPMethod, body: [UInt8], headers: [(String, String)])? = nil,
                           on eventLoop: any EventLoop, deadline: NIODeadline) async throws -> Hop {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { throw NewsError(.unsupported, "not an http(s) URL: \(url)") }
        let secure = scheme == "https"
        let port = url.port ?? (secure ? 443 : 80)
        let sslContext: NIOSSLContext? = secure ? try NIOSSLContext(configuration: configuration.tlsConfiguration) : nil
        var request = requestHead(url: url, host: host, port: port, secure: secure, validators: validators)
        if let send {
            request.method = send.method
            request.headers.replaceOrAdd(name: "Accept", value: "*/*")
            request.headers.replaceOrAdd(name: "Content-Length", value: String(send.body.count))
            for (name, value) in send.headers { request.headers.replaceOrAdd(name: name, value: value) }
        }
        let head = request
        let requestBody = send?.body
        let remaining = deadline - .now()
        // Checked before the promise exists: a promise dropped without completing is a leak NIO traps on.
        guard remaining > .zero else { throw NewsError(.timeout, "timed out fetching \(url)") }
        let promise = eventLoop.makePromise(of: Hop.self)
        let limit = configuration.maximumBodyBytes
        let readTimeout = configuration.readTimeout

        let timeoutTask = eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(NewsError(.timeout, "no complete response from \(url) within \(Self.seconds(configuration.totalTimeout)) s"))
        }
        defer { timeoutTask.cancel() }

        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(min(configuration.connectTimeout, remaining))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if let sslContext {
                            // SNI must not carry an IP address.
                            let serverName = Self.isIPAddress(host) ? nil : host
                            try sync.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        }
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(IdleStateHandler(readTimeout: readTimeout))
                        try sync.addHandler(ResponseCollector(request: head, body: requestBody, limit: limit, url: url,
                                                              readTimeout: readTimeout, promise: promise))
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch let error as NewsError {
            promise.fail(error)
            throw error
        } catch let error as ChannelError {
            let wrapped: NewsError
            if case .connectTimeout = error {
                wrapped = NewsError(.timeout, "connecting to \(host):\(port) timed out")
            } else {
                wrapped = NewsError(.network, "cannot connect to \(host):\(port): \(error)")
            }
            promise.fail(wrapped)
            throw wrapped
        } catch {
            let wrapped = NewsError(.network, "cannot connect to \(host):\(port): \(error)")
            promise.fail(wrapped)
            throw wrapped
        }
        do {
            let hop = try await promise.futureResult.get()
            channel.close(promise: nil)
            return hop
        } catch {
            channel.close(promise: nil)
            if let error = error as? NewsError { throw error }
            if error is NIOSSLError || error is BoringSSLError {
                throw NewsError(.network, "TLS with \(host) failed: \(error)")
            }
            throw NewsError(.network, "fetching \(url) failed: \(error)")
        }
    }

    private func requestHead(url: URL, host: String, port: Int, secure: Bool, validators: Validators) -> HTTPRequestHead {
        var target = url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        var headers = HTTPHeaders()
        let defaultPort = secure ? 443 : 80
        let hostName = host.contains(":") ? "[\(host)]" : host
        headers.add(name: "Host", value: port == defaultPort ? hostName : "\(hostName):\(port)")
        headers.add(name: "User-Agent", value: configuration.userAgent)
        headers.add(name: "Accept", value: "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, application/json;q=0.8, text/xml;q=0.8, */*;q=0.1")
        headers.add(name: "Accept-Encoding", value: "gzip")
        headers.add(name: "Connection", value: "close")
        if let etag = validators.etag { headers.add(name: "If-None-Match", value: etag) }
        if let lastModified = validators.lastModified { headers.add(name: "If-Modified-Since", value: lastModified) }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }

    static func seconds(_ amount: TimeAmount) -> String {
        String(format: "%.3g", Double(amount.nanoseconds) / 1e9)
    }
}

/// Sends the request, then gathers the response under the size limit and completes `promise`
/// exactly once: with the response, or with the first thing that went wrong.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let requestBody: [UInt8]?
    private let limit: Int
    private let url: URL
    private let readTimeout: TimeAmount
    private let promise: EventLoopPromise<HTTPFetcher.Hop>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var received = 0
    private var inflater: GzipInflater?
    private var done = false

    init(request: HTTPRequestHead, body: [UInt8]?, limit: Int, url: URL, readTimeout: TimeAmount,
         promise: EventLoopPromise<HTTPFetcher.Hop>) {
        self.request = request
        self.requestBody = body
        self.limit = limit
        self.url = url
        self.readTimeout = readTimeout
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        if let requestBody, !requestBody.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: requestBody)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        do {
            switch unwrapInboundIn(data) {
            case .head(let responseHead):
                try begin(responseHead, context: context)
            case .body(let buffer):
                try append(buffer)
            case .end:
                try finish(context: context)
            }
        } catch {
            fail(error, context: context)
        }
    }

    private func begin(_ responseHead: HTTPResponseHead, context: ChannelHandlerContext) throws {
        head = responseHead
        // Redirects, 304s and errors are judged by their head alone: their bodies are never read.
        guard (200...299).contains(responseHead.status.code) else {
            done = true
            promise.succeed(HTTPFetcher.Hop(status: responseHead.status, headers: responseHead.headers, body: []))
            context.close(promise: nil)
            return
        }
        if let length = responseHead.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw NewsError(.tooLarge, "body of \(length) bytes from \(url) exceeds the \(limit)-byte limit")
        }
        let encoding = responseHead.headers.first(name: "Content-Encoding")?.lowercased()
            .trimmingCharacters(in: .whitespaces) ?? "identity"
        switch encoding {
        case "identity", "":
            break
        case "gzip", "x-gzip":
            inflater = try GzipInflater(limit: limit)
        default:
            throw NewsError(.unsupported, "unsupported Content-Encoding '\(encoding)' from \(url)")
        }
    }

    private func append(_ buffer: ByteBuffer) throws {
        received += buffer.readableBytes
        guard received <= limit else {
            throw NewsError(.tooLarge, "body from \(url) exceeds the \(limit)-byte limit")
        }
        if let inflater {
            try buffer.withUnsafeReadableBytes { try inflater.inflate($0, into: &body) }
        } else {
            buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
        }
    }

    private func finish(context: ChannelHandlerContext) throws {
        guard let head else { throw NewsError(.malformed, "response from \(url) ended without a head") }
        if let inflater, !inflater.finished {
            throw NewsError(.malformed, "truncated gzip body from \(url)")
        }
        done = true
        promise.succeed(HTTPFetcher.Hop(status: head.status, headers: head.headers, body: body))
        context.close(promise: nil)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        promise.fail(error)
        // Closing stops the server's stream: an oversized body is never read to its end.
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            fail(NewsError(.timeout, "\(url) sent nothing for \(HTTPFetcher.seconds(readTimeout)) s"), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            fail(NewsError(.malformed, "malformed HTTP response from \(url): \(error)"), context: context)
        } else {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(NewsError(.network, "\(url) closed the connection before the response was complete"), context: context)
        context.fireChannelInactive()
    }
}
