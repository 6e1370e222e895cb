import Foundation

/// Runs a program to completion and returns its exit status and output.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

enum Processes {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/BotTests/Support/Processes.swift → the package root.
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }()

    /// The `engage-bot` built by `swift build` (the README's test command builds it first): the one beside the
    /// test binary, so a build with its own `--scratch-path` tests its own bot, else one under `.build`.
    static var botExecutable: URL {
        get throws {
            if let beside = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("engage-bot"),
               FileManager.default.isExecutableFile(atPath: beside.path) {
                return beside
            }
            for configuration in ["debug", "release"] {
                let candidate = packageRoot.appendingPathComponent(".build/\(configuration)/engage-bot")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw TestFailure("engage-bot is not built: run `swift build` before `swift test`")
        }
    }

    /// The Python interpreter itself, not a launcher script (pyenv's shim would outlive a signal sent to
    /// it and leave the interpreter running).
    static let python3: URL = {
        let result = try? run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.executable)"])
        let path = result?.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return URL(fileURLWithPath: path.isEmpty ? "/usr/bin/python3" : path)
    }()

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes while the process runs, so a chatty child never blocks on a full pipe.
        let outputData = ReadAll(output.fileHandleForReading)
        let errorData = ReadAll(error.fileHandleForReading)
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             standardOutput: String(decoding: outputData.wait(), as: UTF8.self),
                             standardError: String(decoding: errorData.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a thread of its own.
final class ReadAll: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
