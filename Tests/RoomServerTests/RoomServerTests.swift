import Logging
import Mesh
import NIOCore
import NIOPosix
import Testing
@testable import RoomServer

/// The NIO edge in-process on 127.0.0.1, port 0, with real WebSocket clients.
@Suite struct RoomServerTests {
    private static let logger: Logger = {
        var logger = Logger(label: "room-server-tests")
        logger.logLevel = .warning
        return logger
    }()

    private func withServer(_ configuration: RoomServerConfiguration = RoomServerConfiguration(port: 0),
                            _ body: (RunningRoomServer) async throws -> Void) async throws {
        let server = try await RoomServer.start(configuration: configuration,
                                                group: MultiThreadedEventLoopGroup.singleton, logger: Self.logger)
        do {
            try await body(server)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Joins `client` by its `new-peer` and returns the channel name the server gave it.
    private func announce(_ client: TestWebSocket, as name: String, alsoSeenBy others: [TestWebSocket] = [])
        async throws -> String {
        try await client.send(frame(peer: name, action: "new-peer", message: ["local_screen_sharing": .bool(false)]))
        let echo = try #require(parsed(try await client.nextText()))
        #expect(echo["peer"] == .string(name))
        let channel = try #require(echo["message"]?["receiver_channel_name"]?.stringValue)
        for other in others {
            let seen = try #require(parsed(try await other.nextText()))
            #expect(seen == echo)
        }
        return channel
    }

    private func offer(from name: String, to channel: String) -> String {
        frame(peer: name, action: "new-offer", message: [
            "sdp": .object(["type": .string("offer"), "sdp": .string("v=0\r\n")]),
            "receiver_channel_name": .string(channel),
            "local_screen_sharing": .bool(false), "remote_screen_sharing": .bool(false),
        ])
    }

    @Test func relaysWithinRoomsAndNeverAcross() async throws {
        try await withServer { server in
            let a1 = try await TestWebSocket.connect(port: server.port, path: "/alpha")
            let a2 = try await TestWebSocket.connect(port: server.port, path: "/alpha?name=x")
            let b1 = try await TestWebSocket.connect(port: server.port, path: "/beta")

            let a1Channel = try await announce(a1, as: "ann", alsoSeenBy: [a2])
            let a2Channel = try await announce(a2, as: "bob", alsoSeenBy: [a1])
            #expect(a1Channel != a2Channel)

            // bob offers to ann: only ann gets it, naming bob's channel.
            try await a2.send(offer(from: "bob", to: a1Channel))
            let offered = try #require(parsed(try await a1.nextText()))
            #expect(offered["action"] == .string("new-offer"))
            #expect(offered["message"]?["receiver_channel_name"] == .string(a2Channel))

            // ann answers on the channel that came with the offer.
            try await a1.send(frame(peer: "ann", action: "new-answer", message: [
                "sdp": .object(["type": .string("answer"), "sdp": .string("v=0\r\n")]),
                "receiver_channel_name": .string(a2Channel),
                "local_screen_sharing": .bool(false), "remote_screen_sharing": .bool(false),
            ]))
            let answered = try #require(parsed(try await a2.nextText()))
            #expect(answered["action"] == .string("new-answer"))
            #expect(answered["message"]?["receiver_channel_name"] == .string(a1Channel))

            // The other room hears nothing, and cannot reach into alpha by channel name.
            _ = try await announce(b1, as: "cy")
            try await b1.send(offer(from: "cy", to: a1Channel))
            #expect(try await b1.drain(for: .milliseconds(200)).isEmpty)
            #expect(try await a1.drain(for: .milliseconds(50)).isEmpty)
            #expect(try await a2.drain(for: .milliseconds(50)).isEmpty)

            for client in [a1, a2, b1] { await client.close() }
        }
    }

    @Test func singleRoomModeSharesOneRoomAcrossPaths() async throws {
        try await withServer(RoomServerConfiguration(port: 0, singleRoom: true)) { server in
            let a = try await TestWebSocket.connect(port: server.port, path: "/")
            let b = try await TestWebSocket.connect(port: server.port, path: "/other")
            _ = try await announce(a, as: "ann", alsoSeenBy: [b])
            await a.close()
            await b.close()
        }
    }

    /// Each hostile behaviour closes only its sender, with a code and reason; the room carries on.
    @Test(arguments: HostileCase.allCases)
    func hostileClientIsClosedWhileOthersKeepWorking(hostile behaviour: HostileCase) async throws {
        try await withServer { server in
            let hostile = try await TestWebSocket.connect(port: server.port, path: "/r")
            let friend = try await TestWebSocket.connect(port: server.port, path: "/r")
            let elsewhere = try await TestWebSocket.connect(port: server.port, path: "/s")

            try await behaviour.perform(on: hostile)
            var closeEvent: TestWebSocket.Event?
            let deadline = ContinuousClock.now + .seconds(5)
            while closeEvent == nil, ContinuousClock.now < deadline {
                let event = try await hostile.next()
                if case .close = event { closeEvent = event }
                if case .ended = event { break }
            }
            #expect(closeEvent == .close(code: behaviour.expectedCode, reason: behaviour.expectedReason))

            // Whatever the hostile client managed to broadcast first (the flood's burst) is not our concern.
            while try await !friend.drain(for: .milliseconds(200)).isEmpty {}
            _ = try await announce(friend, as: "friend")
            _ = try await announce(elsewhere, as: "elsewhere")
            for client in [hostile, friend, elsewhere] { await client.close() }
        }
    }

    enum HostileCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case notJSON, missingMessage, binary, oversized, oversizedInFragments, flood, strayContinuation

        var testDescription: String { rawValue }

        func perform(on client: TestWebSocket) async throws {
            switch self {
            case .notJSON:
                try await client.send("{\"peer\": ")
            case .missingMessage:
                try await client.send(#"{"peer":"p","action":"new-peer"}"#)
            case .binary:
                try await client.send(opcode: .binary, [1, 2, 3])
            case .oversized:
                try await client.send(opcode: .text, Array(repeating: UInt8(ascii: "x"), count: 300 * 1024))
            case .oversizedInFragments:
                let chunk = Array(repeating: UInt8(ascii: "x"), count: 100 * 1024)
                try await client.send(opcode: .text, chunk, fin: false)
                try await client.send(opcode: .continuation, chunk, fin: false)
                try await client.send(opcode: .continuation, chunk, fin: true)
            case .flood:
                let text = frame(peer: "p", action: "chat", message: [:])
                // In one write, so that a slow machine cannot pace it under the refill rate.
                try await client.sendBatch(text, count: 1000)
            case .strayContinuation:
                try await client.send(opcode: .continuation, [1], fin: true)
            }
        }

        var expectedCode: UInt16 {
            switch self {
            case .notJSON, .missingMessage, .flood: 1008
            case .binary: 1003
            case .oversized, .oversizedInFragments: 1009
            case .strayContinuation: 1002
            }
        }

        var expectedReason: String {
            switch self {
            case .notJSON: "frame is not JSON"
            case .missingMessage: "no object 'message'"
            case .binary: "binary frames are not accepted"
            case .oversized, .oversizedInFragments: "frame over 262144 bytes"
            case .flood: "flood"
            case .strayContinuation: "continuation without a message"
            }
        }
    }

    @Test func fragmentedMessagesAreReassembled() async throws {
        try await withServer { server in
            let client = try await TestWebSocket.connect(port: server.port, path: "/")
            let text = Array(frame(peer: "p", action: "new-peer", message: [:]).utf8)
            try await client.send(opcode: .text, Array(text[..<10]), fin: false)
            try await client.send(opcode: .ping, [9])
            try await client.send(opcode: .continuation, Array(text[10...]), fin: true)
            let echo = try #require(parsed(try await client.nextText()))
            #expect(echo["peer"] == .string("p"))
            await client.close()
        }
    }

    @Test func silentClientsAreClosedAfterAPing() async throws {
        let configuration = RoomServerConfiguration(port: 0, pingInterval: .milliseconds(300))
        try await withServer(configuration) { server in
            let silent = try await TestWebSocket.connect(port: server.port, path: "/", answersPings: false)
            let lively = try await TestWebSocket.connect(port: server.port, path: "/")
            #expect(try await silent.next(within: .seconds(3)) == .close(code: 1001, reason: "no answer to ping"))
            #expect(try await lively.drain(for: .milliseconds(1500)) == [])
            _ = try await announce(lively, as: "lively")
            await silent.close()
            await lively.close()
        }
    }

    @Test func slowReaderIsDisconnectedInsteadOfBuffered() async throws {
        let configuration = RoomServerConfiguration(port: 0, writeHighWaterMark: 256 * 1024)
        try await withServer(configuration) { server in
            let slow = try await TestWebSocket.connect(port: server.port, path: "/")
            let fast = try await TestWebSocket.connect(port: server.port, path: "/")
            try await slow.channel.setOption(.autoRead, value: false).get()
            let big = frame(peer: "fast", action: "chat",
                            message: ["pad": .string(String(repeating: "y", count: 200 * 1024))])
            // ~16 MiB towards a reader that reads nothing: more than the kernel buffers plus the high-water mark.
            for _ in 0..<80 {
                try await fast.send(big)
                _ = try await fast.nextText(within: .seconds(10))
            }
            try await slow.channel.setOption(.autoRead, value: true).get()
            slow.channel.read()
            var ended = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !ended, ContinuousClock.now < deadline {
                if case .ended = try await slow.next(within: .seconds(10)) { ended = true }
            }
            #expect(ended)
            _ = try await announce(fast, as: "fast")
            await fast.close()
        }
    }

    @Test func plainGETServesThePageAndItsScript() async throws {
        try await withServer { server in
            let page = try await httpRequest(port: server.port,
                                             "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(page.hasPrefix("HTTP/1.1 200 OK"))
            #expect(page.lowercased().contains("content-type: text/html; charset=utf-8"))
            #expect(page.lowercased().contains("content-security-policy:"))
            #expect(page.contains("<!doctype html>"))
            #expect(page.contains(RoomPage.scriptPath))

            let room = try await httpRequest(port: server.port,
                                             "GET /rooms/standup?name=Zo%C3%A9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(room.hasPrefix("HTTP/1.1 200 OK") && room.contains("<!doctype html>"))

            let script = try await httpRequest(port: server.port,
                                               "GET \(RoomPage.scriptPath) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(script.hasPrefix("HTTP/1.1 200 OK"))
            #expect(script.lowercased().contains("content-type: text/javascript"))
            #expect(script.contains("new-offer") && script.contains("getDisplayMedia"))

            let post = try await httpRequest(port: server.port,
                                             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
            #expect(post.hasPrefix("HTTP/1.1 405"))
        }
    }

    @Test func shutdownClosesClients() async throws {
        let server = try await RoomServer.start(configuration: RoomServerConfiguration(port: 0),
                                                group: MultiThreadedEventLoopGroup.singleton, logger: Self.logger)
        let client = try await TestWebSocket.connect(port: server.port, path: "/")
        try await server.shutdown()
        #expect(try await client.next() == .ended)
    }
}
