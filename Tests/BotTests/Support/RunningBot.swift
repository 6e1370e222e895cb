import Foundation

/// A child process (`engage-bot` unless told otherwise) whose standard error is read as it comes, to learn what
/// it says before it exits.
final class RunningBot: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errorText = ""

    /// - Parameter environment: added to this process's environment for the child.
    init(_ arguments: [String], executable: URL? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = try executable ?? Processes.botExecutable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        error.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            lock.withLock { errorText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var log: String { lock.withLock { errorText } }

    /// Waits until the log matches `pattern` and returns the first capture group.
    func await(_ pattern: String, timeout: TimeInterval) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = log
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range(at: 1), in: text) {
                return String(text[range])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("no /\(pattern)/ within \(timeout) s in:\n\(log.suffix(2000))")
    }

    /// Waits until `text` occurs `count` times in the log.
    func await(_ text: String, count: Int, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.components(separatedBy: text).count - 1 >= count { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("'\(text)' not seen \(count) times within \(timeout) s in:\n\(log.suffix(2000))")
    }

    func stop() {
        if process.isRunning { process.interrupt() }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let killAt = Date().addingTimeInterval(5)
        while process.isRunning, Date() < killAt { Thread.sleep(forTimeInterval: 0.05) }
        // Whatever ignores both signals must not outlive its test.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
