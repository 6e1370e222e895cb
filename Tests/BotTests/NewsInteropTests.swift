import Foundation
import Testing

extension InteropTests {
    /// The news feed and an announcement reach every browser's chat, and the transcript says which is which.
    @Suite(.serialized) struct NewsInteropTests {
        @Test func aNewsLineAndAnAnnouncementReachEveryBrowser() throws {
            let feedFolder = FileManager.default.temporaryDirectory.appendingPathComponent("engage-feed-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: feedFolder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: feedFolder) }
            let rss = """
                <?xml version="1.0" encoding="UTF-8"?>
                <rss version="2.0"><channel><title>Campus News</title><link>http://127.0.0.1:8765/</link>
                <item><title>Library opens &amp; stays open late</title><link>http://127.0.0.1:8765/library</link>
                <guid>library-1</guid><pubDate>Wed, 25 Nov 2026 09:00:00 GMT</pubDate></item>
                </channel></rss>
                """
            try Data(rss.utf8).write(to: feedFolder.appendingPathComponent("feed.xml"))
            let meeting = try InteropMeeting.run([
                "--participant", "alice@0", "--participant", "bob@0",
                "--command", "feed@0:python3 -m http.server 8765 --bind 127.0.0.1 --directory \(feedFolder.path)",
                "--bot-at", "2", "--seconds", "16",
            ], botArguments: "--news http://127.0.0.1:8765/feed.xml --news-on-join --say 'Standup in five minutes'"
                + " --announce-every '5s Please mute when not speaking'")

            let news = "recorder: 📰 Library opens & stays open late — http://127.0.0.1:8765/library (Campus News)"
            for name in ["alice", "bob"] {
                let received = meeting.chatReceived(by: name)
                #expect(received.contains(news), "\(name) did not get the news line: \(received)")
                #expect(received.contains("recorder: Standup in five minutes"), "\(name): \(received)")
                let reminders = received.filter { $0 == "recorder: Please mute when not speaking" }.count
                #expect(reminders >= 1, "\(name) saw the scheduled announcement \(reminders) times")
            }
            let kinds = try meeting.transcript().compactMap { $0["kind"] as? String }
            #expect(kinds.filter { $0 == "news" }.count == 1, "transcript kinds: \(kinds)")
            #expect(kinds.contains("announcement") && kinds.contains("notice"))
        }
    }
}
