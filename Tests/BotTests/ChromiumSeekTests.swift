@testable import Bot
@testable import MeetingKit
import Foundation
import Recorder
import Testing

/// A finalized recording in headless Chromium's own `<video>`: it knows the duration, seeks to the
/// middle (`seeked` fires) and shows the frame there. Serialized with the other browser tests.
extension InteropTests {
    @Suite(.serialized) struct ChromiumSeekTests {
        static let chromium = "/usr/bin/chromium"

        struct Seek {
            var currentTime: Double
            var width: Int
            var height: Int
            /// Pixels brighter than near-black in the frame shown after `seeked`.
            var lit: Int
        }

        /// Loads `video` in a page next to it and, once the metadata is known, seeks to each fraction of the
        /// duration in turn; after each `seeked` it draws the frame shown and counts its lit pixels.
        /// Tests/Interop/page_result.py waits in real time for the page's final word: Chromium's virtual time does
        /// not wait for the media pipeline, so a page dumped on a virtual-time budget could still be seeking.
        static func seekInChromium(_ video: URL, to fractions: [Double]) throws -> (duration: Double, seeks: [Seek]) {
            guard FileManager.default.isExecutableFile(atPath: chromium) else { throw TestFailure("chromium is not installed") }
            let page = video.deletingLastPathComponent().appendingPathComponent("seek.html")
            let html = """
                <!doctype html><html><body><video id="v" muted preload="auto" src="\(video.lastPathComponent)"></video>
                <pre id="out">pending</pre><script>
                const v = document.getElementById('v'), out = document.getElementById('out');
                const targets = [\(fractions.map { "\($0)" }.joined(separator: ","))], seeks = [];
                v.addEventListener('error', () => { out.textContent = 'error ' + (v.error && v.error.message); });
                v.addEventListener('loadedmetadata', () => {
                  out.textContent = 'metadata ' + v.duration;
                  if (isFinite(v.duration)) v.currentTime = v.duration * targets[0];
                });
                v.addEventListener('seeked', () => {
                  const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
                  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
                  const d = g.getImageData(0, 0, c.width, c.height).data; let lit = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
                  seeks.push([v.currentTime, v.videoWidth, v.videoHeight, lit].join(','));
                  if (seeks.length < targets.length) v.currentTime = v.duration * targets[seeks.length];
                  else out.textContent = 'seeked ' + v.duration + ' ' + seeks.join(' ');
                });
                </script></body></html>
                """
            try Data(html.utf8).write(to: page)
            let script = Processes.packageRoot.appendingPathComponent("Tests/Interop/page_result.py").path
            let run = try Processes.run(Processes.python3.path, [script, page.path, "--final", "seeked", "--final", "error"])
            guard run.status == 0 else { throw TestFailure("page_result.py: \(run.standardError.suffix(1000))") }
            let text = run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            let words = text.split(separator: " ")
            guard words.first == "seeked", words.count == 2 + fractions.count, let duration = Double(words[1]) else {
                throw TestFailure("chromium: \(words.joined(separator: " "))")
            }
            let seeks = try words.dropFirst(2).map { word -> Seek in
                let fields = word.split(separator: ",")
                guard fields.count == 4, let time = Double(fields[0]), let width = Int(fields[1]), let height = Int(fields[2]),
                    let lit = Int(fields[3])
                else { throw TestFailure("chromium seek report \(word)") }
                return Seek(currentTime: time, width: width, height: height, lit: lit)
            }
            return (duration, seeks)
        }

        @Test func aRepairedRecordingSeeksToItsMiddleInChromium() throws {
            let recording = try RecordingRepairTests.recording.get()
            let directory = try RecordingRepairTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = directory.appendingPathComponent("recording.webm")
            try Data(recording.bytes).write(to: url)
            guard case .finalized = try RecordingRepair.repair(path: url.path) else { throw TestFailure("not finalized") }

            let (duration, seeks) = try Self.seekInChromium(url, to: [0.5])
            let last = Double(recording.blocks.last?.milliseconds ?? 0) / 1000
            #expect(duration >= last && duration < last + 0.2, "chromium: \(duration) s, last frame at \(last) s")
            let seek = try #require(seeks.first)
            #expect(abs(seek.currentTime - duration / 2) < 0.1, "chromium: at \(seek.currentTime) of \(duration)")
            #expect(seek.width == 320 && seek.height == 240)
            #expect(seek.lit > 10_000, "a frame is shown after the seek: \(seek)")
        }

        /// As Firefox ramps its camera up: 320x240 for 1.5 s, then 640x480 from a keyframe on, finalized.
        /// Chromium shows each part at its own size.
        @Test func aResolutionChangeShowsBothSizesInChromium() throws {
            let directory = try RecordingRepairTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            var frames: [[UInt8]] = []
            for size in ["320x240", "640x480"] {
                let ivf = directory.appendingPathComponent("\(size).ivf")
                let encode = try Processes.run("/usr/bin/ffmpeg", [
                    "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=15", "-t", "1.5", "-c:v", "libvpx",
                    "-b:v", "300k", "-g", "15", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-f", "ivf", ivf.path])
                guard encode.status == 0 else { throw TestFailure("ffmpeg: \(encode.standardError)") }
                frames += try RecordingRepairTests.ivfFrames(Array(try Data(contentsOf: ivf)))
            }
            var writer = try WebMWriter(tracks: [.video(number: 1, codec: .vp8, width: 320, height: 240)], writingApp: "tests")
            let url = directory.appendingPathComponent("ramp.webm")
            let file = RecordingFile(path: url.path)
            try file.append(writer.header())
            for (index, frame) in frames.enumerated() {
                try file.append(try writer.append(frame: frame, track: 1, timestampMilliseconds: Int64(index * 1000 / 15),
                                                  keyframe: frame.first.map { $0 & 1 == 0 } ?? false))
            }
            let finalization = writer.finalize()
            try file.finalize(try #require(finalization))
            file.close()

            let probe = try MediaProbe.probe(url)
            #expect(probe.decodeErrors.isEmpty, "ffmpeg: \(probe.decodeErrors)")
            let (_, seeks) = try Self.seekInChromium(url, to: [0.25, 0.85])
            #expect(seeks.map { [$0.width, $0.height] } == [[320, 240], [640, 480]], "chromium: \(seeks)")
            #expect(seeks.allSatisfy { $0.lit > 10_000 }, "chromium: \(seeks)")
        }
    }
}
