import Foundation

/// One run of Tests/Interop/run_meeting.py: a reference room, headless Chromium participants and
/// the bot, inside a loopback-only network namespace; then its result.json and the bot's files.
struct InteropMeeting {
    let directory: URL
    let result: [String: Any]

    static func run(_ arguments: [String], botArguments: String = "") throws -> InteropMeeting {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engage-interop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bot = try Processes.botExecutable.path
        let command = "\(bot) join {ws_url} --name recorder --output {out_dir} \(botArguments)"
        let runner = Processes.packageRoot.appendingPathComponent("Tests/Interop/run_meeting.py").path
        let run = try Processes.run("/usr/bin/env", ["python3", runner, "--out", directory.path,
                                                     "--bot-command", command] + arguments)
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

    /// The getStats summary a browser kept for its connection to `peer`.
    func stats(of participant: String, towards peer: String) -> [String: Any]? {
        let participants = result["participants"] as? [String: Any]
        let entry = participants?[participant] as? [String: Any]
        let stats = entry?["stats"] as? [[String: Any]] ?? []
        return stats.first { $0["name"] as? String == peer && $0["kind"] as? String == "camera" }
    }
}
