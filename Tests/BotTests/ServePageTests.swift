import Foundation
import Testing

extension InteropTests {
    /// Our room page in headless Chromium against `engage-bot serve`, with the bot and synthetic participants.
    @Suite(.serialized) struct ServePageTests {
        @Test func everyoneSeesEveryone() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engage-serve-\(UUID().uuidString.prefix(8))")
            let script = Processes.packageRoot.appendingPathComponent("Tests/Interop/serve_page_check.py").path
            let netns = Processes.packageRoot.appendingPathComponent("Tests/Interop/in-netns.sh").path
            let run = try Processes.run("/bin/bash", [netns, "python3", script, "--bot", try Processes.botExecutable.path,
                                                      "--out", directory.path])
            let data = try Data(contentsOf: directory.appendingPathComponent("serve-page.json"))
            let result = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            #expect(run.status == 0, "harness: \(result["errors"] ?? run.standardError.suffix(2000))")
            let browsers = result["browsers"] as? [String: [[String: Any]]] ?? [:]
            let consoles = result["console"] as? [String: [String]] ?? [:]
            var someoneMissing = false
            for (me, other) in [("alice", "bob"), ("bob", "alice")] {
                let tiles = browsers[me] ?? []
                for name in ["recorder", "synthetic-1", "synthetic-2", other] {
                    let tile = tiles.first { ($0["caption"] as? String ?? "").contains(name) }
                    let playing = (tile?["width"] as? Int ?? 0) > 0
                    #expect(playing, "\(me) does not see \(name) playing: \(tiles)")
                    if !playing { someoneMissing = true }
                }
            }
            if someoneMissing {
                // What the pages said and what the participants logged, so a failure in CI explains itself.
                let crowdStarted = result["crowd_started"] as? Double ?? 0, tilesRead = result["tiles_read"] as? Double ?? 0
                var story = ["crowd started at \(crowdStarted), tiles read at \(tilesRead) (Unix seconds)"]
                for (name, lines) in consoles.sorted(by: { $0.key < $1.key }) {
                    story.append("\(name)'s console:\n" + lines.joined(separator: "\n"))
                }
                for log in ["serve.log", "bot.log", "crowd.log"] {
                    let text = (try? String(contentsOf: directory.appendingPathComponent(log), encoding: .utf8)) ?? "(none)"
                    story.append("\(log):\n" + text.suffix(12_000))
                }
                Issue.record(Comment(rawValue: story.joined(separator: "\n\n")))
            }
            // The recorder recorded both browsers and both synthetic participants from the page's room.
            let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
            var names: [String] = []
            while let url = walker?.nextObject() as? URL {
                if url.pathExtension == "webm" { names.append(url.lastPathComponent) }
            }
            #expect(Set(names).isSuperset(of: ["alice.webm", "bob.webm", "synthetic-1.webm", "synthetic-2.webm"]), "\(names)")
        }
    }
}
