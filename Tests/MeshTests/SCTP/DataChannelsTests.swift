import Testing

@testable import Mesh

@Suite struct DataChannelsTests {
    typealias Link = VirtualLink<DataChannels, DataChannels>

    private func drain(_ channels: inout DataChannels) -> [DataChannels.Event] {
        var events: [DataChannels.Event] = []
        while let event = channels.pollEvent() { events.append(event) }
        return events
    }

    @Test func openChatAndCloseByStreamReset() throws {
        // The offerer (the browser page, DTLS client here) creates `channel`; the bot answers.
        var link = Link(
            a: DataChannels(association: SCTPAssociation(role: .client), dtlsRole: .client),
            b: DataChannels(association: SCTPAssociation(role: .server), dtlsRole: .server), loss: 0.05, seed: 11)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        let id = try link.a.open(label: "channel")
        #expect(id % 2 == 0)
        try link.a.send(.text("alice: hello"), on: id)

        var eventsA: [DataChannels.Event] = []
        var eventsB: [DataChannels.Event] = []
        while eventsB.count < 3 || eventsA.count < 2, link.step(), link.now < .seconds(60) {
            eventsA += drain(&link.a)
            eventsB += drain(&link.b)
        }
        #expect(eventsB == [.connected, .channelOpened(id: id, label: "channel"), .channelMessage(id: id, .text("alice: hello"))])
        #expect(eventsA == [.connected, .channelOpened(id: id, label: "channel")])

        try link.b.send(.text("bot: hi"), on: id)
        try link.b.send(.text(""), on: id)
        try link.b.send(.binary([]), on: id)
        try link.b.send(.binary([1, 2, 3]), on: id)
        eventsA = []
        while eventsA.count < 4, link.step(), link.now < .seconds(120) { eventsA += drain(&link.a) }
        #expect(eventsA == [
            .channelMessage(id: id, .text("bot: hi")), .channelMessage(id: id, .text("")),
            .channelMessage(id: id, .binary([])), .channelMessage(id: id, .binary([1, 2, 3])),
        ])

        // The bot's own channel gets an odd ID as DTLS server.
        let botChannel = try link.b.open(label: "bot")
        #expect(botChannel % 2 == 1)

        link.a.close(id)
        eventsA = []
        eventsB = []
        while eventsA.count < 2 || eventsB.count < 2, link.step(), link.now < .seconds(180) {
            eventsA += drain(&link.a)
            eventsB += drain(&link.b)
        }
        // The bot learns its own channel is open when the page acknowledges it.
        #expect(eventsB.count == 2)
        #expect(eventsB.contains(.channelClosed(id: id)))
        #expect(eventsB.contains(.channelOpened(id: botChannel, label: "bot")))
        #expect(eventsA == [.channelOpened(id: botChannel, label: "bot"), .channelClosed(id: id)])
        #expect(link.a.channels[id] == nil)
        #expect(link.b.channels[id] == nil)
        #expect(throws: SCTPSendError.self) { try link.b.send(.text("gone"), on: id) }
    }
}

extension DataChannelsTests {
    @Test func aPeerOpeningHundredsOfChannelsIsRefusedBeyondTheLimit() throws {
        var link = Link(
            a: DataChannels(association: SCTPAssociation(role: .client), dtlsRole: .client),
            b: DataChannels(association: SCTPAssociation(role: .server), dtlsRole: .server), loss: 0, seed: 12)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        let longLabel = String(repeating: "x", count: 60_000)
        for _ in 0..<200 { _ = try link.a.open(label: longLabel) }
        var opened = 0
        while link.step(), link.now < .seconds(120) {
            while let event = link.b.pollEvent() {
                if case .channelOpened(_, let label) = event {
                    opened += 1
                    #expect(label.utf8.count <= 256)
                }
            }
        }
        #expect(opened == DataChannels.maximumChannels)
        #expect(link.b.channels.count == DataChannels.maximumChannels)
        #expect(link.b.refusedChannels == 200 - DataChannels.maximumChannels)
        #expect(link.b.association.state == .established)
    }
}

extension DataChannelsTests {
    /// Pion (pion/datachannel) writes DATA_CHANNEL_ACK as four bytes, the message type 0x02 and three zeros. RFC 8832
    /// defines the ACK by its message type; a channel we open must open on that ACK, or chat is lost both ways.
    @Test func aChannelWeOpenOpensOnAnAckPaddedToFourBytes() throws {
        typealias PionLink = VirtualLink<DataChannels, SCTPAssociation>
        var link = PionLink(
            a: DataChannels(association: SCTPAssociation(role: .client), dtlsRole: .client),
            b: SCTPAssociation(role: .server), loss: 0, seed: 13)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        var eventsA: [DataChannels.Event] = []
        while !eventsA.contains(.connected), link.step(), link.now < .seconds(10) { eventsA += drain(&link.a) }
        let id = try link.a.open(label: "channel")

        // The far side: answers the OPEN with Pion's ACK, then chats on the stream.
        var answered = false
        while !answered, link.step(), link.now < .seconds(20) {
            while let event = link.b.pollEvent() {
                guard case .message(id, DataChannelPPID.control, let bytes) = event, bytes.first == DataChannelOpen.messageType else { continue }
                try link.b.send(streamID: id, ppid: DataChannelPPID.control, bytes: [0x02, 0, 0, 0], ordered: true)
                try link.b.send(streamID: id, ppid: DataChannelPPID.string, bytes: Array("pion: hello".utf8), ordered: true)
                answered = true
            }
        }
        #expect(answered)
        while eventsA.count < 3, link.step(), link.now < .seconds(30) { eventsA += drain(&link.a) }
        #expect(eventsA == [.connected, .channelOpened(id: id, label: "channel"), .channelMessage(id: id, .text("pion: hello"))])
        #expect(link.a.channels[id]?.isOpen == true)
        #expect(link.a.drops == 0, "dropped: \(link.a.lastDropReason ?? "")")

        // And what we send on it arrives.
        try link.a.send(.text("recorder: hi"), on: id)
        var heard: [SCTPEvent] = []
        while heard.isEmpty, link.step(), link.now < .seconds(40) {
            while let event = link.b.pollEvent() { heard.append(event) }
        }
        #expect(heard == [.message(streamID: id, ppid: DataChannelPPID.string, bytes: Array("recorder: hi".utf8))])
    }
}
