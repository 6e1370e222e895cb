import Foundation
@testable import News
import NIOCore
import NIOPosix
import Testing

@Suite struct NewsFetcherTests {
    static func fetcher(_ server: TestHTTPServer, readTimeout: TimeAmount = .seconds(5)) -> HTTPFetcher {
        var configuration = HTTPFetcher.Configuration()
        configuration.readTimeout = readTimeout
        configuration.totalTimeout = .seconds(10)
        configuration.connectTimeout = .seconds(2)
        return HTTPFetcher(group: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    static let body = Fixtures.rss(title: "T", items: [
        .init(id: "1", title: "One", link: "https://x.example/1", date: 1_767_225_600),
    ])

    @Test func conditionalGetGives304() async throws {
        let server = try await TestHTTPServer()
        server.set("/feed", .document(body: Self.body, contentType: "application/rss+xml", etag: "\"v1\"",
                                      lastModified: "Thu, 01 Jan 2026 00:00:00 GMT"))
        let fetcher = Self.fetcher(server)
        let first = try await fetcher.fetch(server.url("/feed"))
        guard case .ok(let body, let type, _, let validators) = first else {
            Issue.record("expected a body, got \(first)")
            return
        }
        #expect(body == Self.body)
        #expect(type == "application/rss+xml")
        #expect(validators == .init(etag: "\"v1\"", lastModified: "Thu, 01 Jan 2026 00:00:00 GMT"))
        #expect(try await fetcher.fetch(server.url("/feed"), validators: validators) == .notModified)
        #expect(try await fetcher.fetch(server.url("/feed"), validators: .init(lastModified: "Thu, 01 Jan 2026 00:00:00 GMT"))
                == .notModified)
        let requests = server.requests(to: "/feed")
        #expect(requests.count == 3)
        #expect(requests[1].headers.first(name: "If-None-Match") == "\"v1\"")
        #expect(requests[0].headers.first(name: "User-Agent")?.hasPrefix("EngageBot") == true)
        #expect(requests[0].headers.first(name: "Host") == "127.0.0.1:\(server.port)")
        try await server.shutdown()
    }

    @Test func redirectsAreFollowedAndLoopsRefused() async throws {
        let server = try await TestHTTPServer()
        server.set("/feed", .document(body: Self.body, contentType: "application/rss+xml"))
        server.set("/old", .redirect(status: 301, location: server.url("/relative").absoluteString))
        server.set("/relative", .redirect(status: 302, location: "/dir/../feed?x=1"))
        let fetcher = Self.fetcher(server)
        guard case .ok(let body, _, let finalURL, _) = try await fetcher.fetch(server.url("/old")) else {
            Issue.record("redirects not followed")
            return
        }
        #expect(body == Self.body)
        #expect(finalURL.path == "/feed")

        server.set("/a", .redirect(status: 307, location: "/b"))
        server.set("/b", .redirect(status: 308, location: "/a"))
        let loop = await #expect(throws: NewsError.self) { try await fetcher.fetch(server.url("/a")) }
        #expect(loop?.kind == .redirect)
        #expect(loop?.description.contains("loop") == true)

        for hop in 0..<7 { server.set("/r\(hop)", .redirect(status: 302, location: "/r\(hop + 1)")) }
        server.set("/r7", .document(body: Self.body, contentType: "text/xml"))
        let tooMany = await #expect(throws: NewsError.self) { try await fetcher.fetch(server.url("/r0")) }
        #expect(tooMany?.description.contains("more than 5 redirects") == true)
        server.set("/evil", .redirect(status: 302, location: "file:///etc/passwd"))
        await #expect(throws: NewsError.self) { try await fetcher.fetch(server.url("/evil")) }
        try await server.shutdown()
    }

    @Test func gzipBodiesAreDecoded() async throws {
        let server = try await TestHTTPServer()
        server.set("/feed", .document(body: Self.body, contentType: "application/rss+xml", gzip: true))
        let response = try await Self.fetcher(server).fetch(server.url("/feed"))
        guard case .ok(let body, _, _, _) = response else {
            Issue.record("no body")
            return
        }
        #expect(body == Self.body)
        #expect(server.requests.first?.headers.first(name: "Accept-Encoding") == "gzip")
        try await server.shutdown()
    }

    @Test func gzipBombIsRefused() async throws {
        let server = try await TestHTTPServer()
        // 20 MB of zeros compresses to about 20 kB.
        server.set("/bomb", .document(body: [UInt8](repeating: 0, count: 20_000_000), contentType: "text/xml", gzip: true))
        let error = await #expect(throws: NewsError.self) { try await Self.fetcher(server).fetch(server.url("/bomb")) }
        #expect(error?.kind == .tooLarge)
        try await server.shutdown()
    }

    @Test(arguments: [true, false])
    func fiftyMegabytesAreRefused(chunked: Bool) async throws {
        let server = try await TestHTTPServer()
        server.set("/huge", .endless(total: 50 * 1024 * 1024, chunked: chunked))
        let error = await #expect(throws: NewsError.self) { try await Self.fetcher(server).fetch(server.url("/huge")) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.description.contains("limit") == true)
        try await server.shutdown()
    }

    @Test func silentServerTimesOut() async throws {
        let server = try await TestHTTPServer()
        server.set("/silent", .silent)
        let error = await #expect(throws: NewsError.self) {
            try await Self.fetcher(server, readTimeout: .milliseconds(300)).fetch(server.url("/silent"))
        }
        #expect(error?.kind == .timeout)
        try await server.shutdown()
    }

    @Test func errorStatusesAndRefusedConnections() async throws {
        let server = try await TestHTTPServer()
        let fetcher = Self.fetcher(server)
        let missing = await #expect(throws: NewsError.self) { try await fetcher.fetch(server.url("/nothing")) }
        #expect(missing?.description.contains("HTTP 404") == true)
        let port = server.port
        try await server.shutdown()
        let closed = await #expect(throws: NewsError.self) {
            try await fetcher.fetch(URL(string: "http://127.0.0.1:\(port)/feed")!)
        }
        #expect(closed?.kind == .network)
    }
}
