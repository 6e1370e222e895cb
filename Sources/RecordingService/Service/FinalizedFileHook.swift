import Foundation
import Logging
import Synchronization

/// `--on-finalized CMD`: runs a shell command for every finished file of every recording (each finalized
/// WebM, then the transcript and the manifest when the recording ends), one at a time in the order they
/// finished, for targets the service does not upload to itself. The command sees the file in its
/// environment: `ENGAGE_FILE` (path), `ENGAGE_FILE_KIND` (`recording`, `transcript`, `manifest`),
/// `ENGAGE_RECORDING_ID`, `ENGAGE_PARTICIPANT` (recordings only).
final class FinalizedFileHook: Sendable {
    struct Finished: Sendable {
        var path: String
        var kind: String
        var recordingID: String
        var participant: String?
    }

    private let command: String
    private let logger: Logger
    private let queue: AsyncStream<Finished>.Continuation
    private let runner: Task<Void, Never>
    /// At most this many files wait for the command; beyond, the newest are refused and logged.
    static let capacity = 10_000

    init(command: String, logger: Logger) {
        self.command = command
        self.logger = logger
        let (stream, queue) = AsyncStream<Finished>.makeStream(bufferingPolicy: .bufferingOldest(Self.capacity))
        self.queue = queue
        runner = Task.detached {
            for await file in stream { Self.run(command, for: file, logger: logger) }
        }
    }

    func finished(_ file: Finished) {
        if case .dropped = queue.yield(file) {
            logger.error("--on-finalized: \(Self.capacity) files already wait; \(file.path) is not handed to the command")
        }
    }

    /// Lets the files already finished through the command, then stops.
    func drain() async {
        queue.finish()
        await runner.value
    }

    private static func run(_ command: String, for file: Finished, logger: Logger) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_FILE"] = file.path
        environment["ENGAGE_FILE_KIND"] = file.kind
        environment["ENGAGE_RECORDING_ID"] = file.recordingID
        environment["ENGAGE_PARTICIPANT"] = file.participant
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 {
                logger.warning("--on-finalized exited with \(process.terminationStatus) for \(file.path)")
            }
        } catch {
            logger.error("--on-finalized could not start for \(file.path): \(error)")
        }
    }
}
