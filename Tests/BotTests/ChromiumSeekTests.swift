@testable import Bot
import Foundation
import Testing

/// A finalized recording in headless Chromium's own `<video>`: it knows the duration, seeks to the
/// middle (`seeked` fires) and shows the frame there.
@Suite struct ChromiumSeekTests {
    static let chromium = "/usr/bin/chromium"

    /// Loads `video` in a page next to it, seeks to the middle once the metadata is known, then draws the
    /// frame shown and counts its lit pixels. `--virtual-time-budget` lets the page run to the end
    /// without any wall-clock wait in the test.
    static func seekInChromium(_ video: URL) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: chromium) else { throw TestFailure("chromium is not installed") }
        let page = video.deletingLastPathComponent().appendingPathComponent("seek.html")
        let html = """
            <!doctype html><html><body><video id="v" muted preload="auto" src="\(video.lastPathComponent)"></video>
            <pre id="out">pending</pre><script>
            const v = document.getElementById('v'), out = document.getElementById('out');
            v.addEventListener('error', () => { out.textContent = 'error ' + (v.error && v.error.message); });
            v.addEventListener('loadedmetadata', () => {
              out.textContent = 'metadata duration=' + v.duration;
              if (isFinite(v.duration)) v.currentTime = v.duration / 2;
            });
            v.addEventListener('seeked', () => {
              const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
              const g = c.getContext('2d'); g.drawImage(v, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data; let lit = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
              out.textContent = `seeked duration=${v.duration} currentTime=${v.currentTime} lit=${lit}`;
            });
            </script></body></html>
            """
        try Data(html.utf8).write(to: page)
        let run = try Processes.run(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
            "--virtual-time-budget=20000", "--dump-dom", page.absoluteString])
        guard let start = run.standardOutput.range(of: "<pre id=\"out\">"),
            let end = run.standardOutput[start.upperBound...].range(of: "</pre>")
        else { throw TestFailure("chromium printed no page: \(run.standardError.suffix(1000))") }
        return String(run.standardOutput[start.upperBound..<end.lowerBound])
    }

    static func field(_ name: String, in report: String) -> Double? {
        report.split(separator: " ").first { $0.hasPrefix(name + "=") }.flatMap { Double($0.dropFirst(name.count + 1)) }
    }

    @Test func aRepairedRecordingSeeksToItsMiddleInChromium() throws {
        let recording = try RecordingRepairTests.recording.get()
        let directory = try RecordingRepairTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("recording.webm")
        try Data(recording.bytes).write(to: url)
        guard case .finalized = try RecordingRepair.repair(path: url.path) else { throw TestFailure("not finalized") }

        let report = try Self.seekInChromium(url)
        #expect(report.hasPrefix("seeked "), "chromium: \(report)")
        let duration = try #require(Self.field("duration", in: report), "chromium: \(report)")
        let last = Double(recording.blocks.last?.milliseconds ?? 0) / 1000
        #expect(duration >= last && duration < last + 0.2, "chromium: \(report)")
        let position = try #require(Self.field("currentTime", in: report))
        #expect(abs(position - duration / 2) < 0.1, "chromium: \(report)")
        #expect((Self.field("lit", in: report) ?? 0) > 10_000, "a frame is shown after the seek: \(report)")
    }
}
