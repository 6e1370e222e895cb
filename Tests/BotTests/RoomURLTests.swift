import Testing
@testable import MeshIO

@Suite struct RoomURLTests {
    @Test func pageAndSocketURLsAreAccepted() throws {
        let page = try RoomURL(parsing: "http://127.0.0.1:8000/")
        #expect(page.secure == false && page.host == "127.0.0.1" && page.port == 8000 && page.target == "/")
        let socket = try RoomURL(parsing: "wss://meet.example/rooms/standup?x=1#frag")
        #expect(socket.secure && socket.port == 443 && socket.target == "/rooms/standup?x=1")
        #expect(socket.roomName == "standup")
        #expect(page.roomName == "127.0.0.1")
        let v6 = try RoomURL(parsing: "ws://[::1]:9000")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.hostHeader == "[::1]:9000")
    }

    @Test(arguments: ["127.0.0.1:8000", "ftp://x/", "ws://:80/", "ws://host:0/", "ws://host:99999/",
                      "ws://user:pw@host/", "ws://[::1/"])
    func badURLsAreRefused(text: String) {
        #expect(throws: (any Error).self) { try RoomURL(parsing: text) }
    }
}
