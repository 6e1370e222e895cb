import Foundation

/// One run of Tests/Interop/run_meeting.py: a reference room, headless Chromium participants and
/// the bot, inside a loopback-only network namespace; then its result.json and the bot's files.
struct InteropMeeting {
    let directory: URL
    let result: [String: Any]

    /// - Parameter botPrefix: words before the bot's path, e.g. `timeout -s KILL 10` to kill it mid-meeting.
    static func run(_ arguments: [String], botArguments: String = "", botPrefix: String = "") throws -> InteropMeeting {
        try run(arguments, subcommand: "join {ws_url} --name recorder --output {out_dir} \(botArguments)", botPrefix: botPrefix)
    }

    /// Runs the meeting with `engage-bot SUBCOMMAND` as its bot; `prepare` may put files in the run's folder first.
    /// `launcher` comes before the runner's command line (e.g. `with-small-disk.sh`).
    static func run(_ arguments: [String], subcommand: String, botPrefix: String = "", launcher: [String] = [],
                    prepare: (URL) throws -> Void = { _ in }) throws -> InteropMeeting {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engage-interop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try prepare(directory)
        let bot = try Processes.botExecutable.path
        let runner = Processes.packageRoot.appendingPathComponent("Tests/Interop/run_meeting.py").path
        let run = try Processes.run("/usr/bin/env", launcher + ["python3", runner, "--out", directory.path,
                                                                "--bot-command", "\(botPrefix) \(bot) \(subcommand)"] + arguments)
        guard run.status == 0 else {
            throw TestFailure("run_meeting.py exited \(run.status): \(run.standardError.suffix(2000))")
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("result.json"))
        let result = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return InteropMeeting(directory: directory, result: result)
    }

    /// Every file the bot recorded, in the session folders it made.
    func recordings() throws -> [URL] {
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "webm" { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    func recording(named name: String) throws -> URL {
        guard let file = try recordings().first(where: { $0.lastPathComponent == name }) else {
            throw TestFailure("no \(name) among \(try recordings().map(\.lastPathComponent)); bot log: \(botLog.suffix(3000))")
        }
        return file
    }

    var botLog: String {
        (try? String(contentsOf: directory.appendingPathComponent("bot.stderr.log"), encoding: .utf8)) ?? ""
    }

    var participants: [String: [String: Any]] { result["participants"] as? [String: [String: Any]] ?? [:] }

    /// The chat lines a participant's page received, as shown ("NAME: TEXT").
    func chatReceived(by participant: String) -> [String] {
        let log = participants[participant]?["chatLog"] as? [[String: Any]] ?? []
        return log.filter { $0["direction"] as? String == "in" }.compactMap { $0["text"] as? String }
    }

    /// The size of the bot's tile as `participant`'s page shows it.
    func botTileSize(seenBy participant: String, bot: String = "recorder") -> (width: Int, height: Int)? {
        let tiles = participants[participant]?["remoteVideoSizes"] as? [[String: Any]] ?? []
        guard let tile = tiles.first(where: { $0["name"] as? String == bot && $0["kind"] as? String == "camera" }) else {
            return nil
        }
        return (tile["videoWidth"] as? Int ?? 0, tile["videoHeight"] as? Int ?? 0)
    }

    /// The session folder the bot wrote (recordings, chat.jsonl, manifest.json).
    func sessionFolder() throws -> URL {
        guard let first = try recordings().first else { throw TestFailure("no recordings; bot log: \(botLog.suffix(3000))") }
        return first.deletingLastPathComponent()
    }

    /// `chat.jsonl`, one object per line.
    func transcript() throws -> [[String: Any]] {
        let text = try String(contentsOf: try sessionFolder().appendingPathComponent("chat.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: try sessionFolder().appendingPathComponent("manifest.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The getStats summary a browser kept for its connection to `peer`.
    func stats(of participant: String, towards peer: String) -> [String: Any]? {
        let participants = result["participants"] as? [String: Any]
        let entry = participants?[participant] as? [String: Any]
        let stats = entry?["stats"] as? [[String: Any]] ?? []
        return stats.first { $0["name"] as? String == peer && $0["kind"] as? String == "camera" }
    }
}
