import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOCore
import Synchronization
import Tile

/// Synthetic participants: our own peers on the same Mesh stack, joining a room as a browser would
/// (both roles, the `channel` data channel, chat as "NAME: TEXT"), sending a moving test pattern and a
/// tone of their own pitch instead of a camera and a microphone.
///
/// A synthetic participant is a `Meeting` that records nothing and sends a different tile.
enum SyntheticParticipant {
    /// What one participant sends: live (pattern encoded frame by frame) or a clip replayed in a loop.
    enum Media: Sendable {
        case live(width: Int, height: Int, fps: Int, bitrateKbps: Int)
        case replay(ReplayClip)
    }

    struct Plan: Sendable {
        var name: String
        /// Picks the tone's pitch and the pattern's tint, so participants differ in sound and picture.
        var index: Int
        var media: Media
        /// Shares a "screen" (a second, calmer pattern) to everyone from the moment it joins.
        var sharesScreen = false
        /// Posts a chat line this often (randomised by ±50 %); nil: never.
        var chatEvery: Duration? = .seconds(4)
    }

    static func configuration(_ plan: Plan, roomURL: RoomURL, interface: String,
                              connectsTo: (@Sendable (String) -> Bool)?) throws -> Meeting.Configuration {
        let pitch = ToneGenerator.pitch(forParticipant: plan.index)
        let tone = try ReplayTone.encode(hertz: pitch)
        let camera: TileSourceFactory
        switch plan.media {
        case .live(let width, let height, let fps, let bitrateKbps):
            let tileConfiguration = SyntheticTileConfiguration(
                name: plan.name, width: width, height: height, fps: fps, videoBitrateKbps: bitrateKbps,
                toneHertz: pitch, tint: plan.index,
                videoRTPTimestampOffset: randomOffset(), audioRTPTimestampOffset: randomOffset())
            camera = { start in try SyntheticTile(configuration: tileConfiguration, start: start) }
        case .replay(let clip):
            let videoOffset = randomOffset(), audioOffset = randomOffset()
            camera = { start in
                ReplayTile(clip: clip, tone: tone, start: start,
                           videoRTPTimestampOffset: videoOffset, audioRTPTimestampOffset: audioOffset)
            }
        }
        var screen: TileSourceFactory?
        if plan.sharesScreen {
            // A screen changes less than a camera: few frames, little noise, a low tone an octave down.
            let screenConfiguration = SyntheticTileConfiguration(
                name: plan.name, label: "screen", width: 480, height: 270, fps: 5, videoBitrateKbps: 150,
                toneHertz: pitch / 2, tint: plan.index + 7, noiseFraction: 0.05,
                videoRTPTimestampOffset: randomOffset(), audioRTPTimestampOffset: randomOffset())
            screen = { start in try SyntheticTile(configuration: screenConfiguration, start: start) }
        }
        var configuration = Meeting.Configuration(
            roomURL: roomURL, name: plan.name, outputRoot: "", interface: interface, records: false)
        configuration.tileSource = camera
        configuration.screenSource = screen
        configuration.connectsTo = connectsTo
        return configuration
    }

    /// Runs one participant until `deadline` or `stop`, chatting now and then.
    static func run(_ plan: Plan, roomURL: RoomURL, interface: String, connectsTo: (@Sendable (String) -> Bool)?,
                    until deadline: ContinuousClock.Instant, stop: CrowdStop, group: any EventLoopGroup,
                    logger: Logger) async throws {
        var participantLogger = logger
        participantLogger[metadataKey: "participant"] = "\(plan.name)"
        let meeting = try Meeting(
            configuration: configuration(plan, roomURL: roomURL, interface: interface, connectsTo: connectsTo),
            group: group, logger: participantLogger)
        try await meeting.run(duration: nil) { meeting in
            await chat(meeting, plan: plan, until: deadline, stop: stop)
        }
    }

    /// The meeting lasts as long as this script: it posts a line every `chatEvery` (±50 %) until the end.
    private static func chat(_ meeting: Meeting, plan: Plan, until deadline: ContinuousClock.Instant, stop: CrowdStop) async {
        var random = SplitMix64(seed: UInt64(plan.index + 1) &* 0x2545_F491_4F6C_DD1D)
        var said = 0
        func nextChat() -> ContinuousClock.Instant? {
            guard let every = plan.chatEvery else { return nil }
            let factor = 0.5 + Double(random.next() % 1000) / 1000
            return ContinuousClock.now + .milliseconds(Int64(Double(every.milliseconds) * factor))
        }
        var next = nextChat()
        while ContinuousClock.now < deadline, !stop.isRequested {
            // Short naps, so a stop or the deadline ends the participant within a fraction of a second.
            try? await Task.sleep(for: .milliseconds(100))
            if let due = next, ContinuousClock.now >= due {
                said += 1
                let line = phrases[(plan.index + said) % phrases.count]
                await meeting.post("\(line) (#\(said))", kind: .chat)
                next = nextChat()
            }
        }
    }

    static let phrases = [
        "hello everyone", "can you hear my tone?", "sharing a test pattern today", "the clock on my tile is running",
        "all green here", "any questions?", "next slide please", "back in a moment",
    ]

    static func name(_ index: Int) -> String { "synthetic-\(index)" }

    private static func randomOffset() -> UInt32 {
        Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// A stop flag that any number of participants poll; the first SIGINT/SIGTERM (or `request`) sets it.
final class CrowdStop: Sendable {
    private let flag = Mutex(false)
    private let signals = StopSignal()
    private let watcher: Mutex<Task<Void, Never>?> = Mutex(nil)

    init() {
        let signals = self.signals
        let task = Task { [weak self] in
            await signals.wait(until: nil)
            self?.flag.withLock { $0 = true }
        }
        watcher.withLock { $0 = task }
    }

    var isRequested: Bool { flag.withLock { $0 } }

    func request() {
        flag.withLock { $0 = true }
        signals.request()
    }

    /// Sleeps until `deadline` or a stop, whichever is first.
    func sleep(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline, !isRequested {
            try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
        }
    }
}

/// Many synthetic participants in one process: `crowd`, and the senders of `bench`.
enum Crowd {
    struct Options: Sendable {
        var participants: Int
        var replay: Bool
        var seconds: Double
        /// 1-based index of the participant that shares a screen; nil: none.
        var share: Int?
        /// Whether the participants connect among themselves (a full mesh, as browsers do) or only to
        /// peers outside the crowd (the recorder): N senders then cost N connections, not N².
        var mesh: Bool
        var chat: Bool
        /// Pause between joins, so a big crowd does not hit the room and the recorder all in one instant.
        var stagger: Duration = .milliseconds(100)
        var interface = "127.0.0.1"
    }

    static func run(_ options: Options, roomURL: RoomURL, group: any EventLoopGroup, logger: Logger) async throws {
        let stop = CrowdStop()
        let count = max(1, options.participants)
        let names = (1...count).map(SyntheticParticipant.name)
        var media: SyntheticParticipant.Media = .live(width: 320, height: 240, fps: 15, bitrateKbps: 300)
        if options.replay {
            let started = ContinuousClock.now
            let clip = try ReplayClip.encode(name: "synthetic crowd", seconds: 6)
            let took = (ContinuousClock.now - started).milliseconds
            logger.notice("replay clip: \(clip.frames.count) frames of \(clip.width)x\(clip.height) at \(clip.fps) fps, \(Int(clip.averageBitrateKbps)) kbit/s, encoded in \(took) ms")
            media = .replay(clip)
        }
        let members = Set(names)
        let outsider: @Sendable (String) -> Bool = { !members.contains($0) }
        let connectsTo = options.mesh ? nil : outsider
        let deadline = ContinuousClock.now + .milliseconds(Int64(options.seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (offset, name) in names.enumerated() {
                if stop.isRequested { break }
                let plan = SyntheticParticipant.Plan(
                    name: name, index: offset, media: media, sharesScreen: options.share == offset + 1,
                    chatEvery: options.chat ? .seconds(5) : nil)
                tasks.addTask {
                    try await SyntheticParticipant.run(plan, roomURL: roomURL, interface: options.interface,
                                                       connectsTo: connectsTo, until: deadline, stop: stop,
                                                       group: group, logger: logger)
                }
                await stop.sleep(until: ContinuousClock.now + options.stagger)
            }
            try await tasks.waitForAll()
        }
    }
}
