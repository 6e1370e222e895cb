import Foundation
import OperatorInput

/// The bot's control socket (and standard input, and `--announce-every`/`--announce-at`).
/// - The socket's framing (`ControlLineSplitter`, with a limit the input picks, so inputs reach it): the bytes
///   cut into reads of a size the input picks give the lines a plain split of the whole does.
/// - Each input line is one control line, taken as the meeting takes it. A line starting with `/` is a command:
///   a schedule that parses must write back (`command`) to text that parses to the same schedule, fire
///   strictly after any moment, and give a sleep that is never negative; every duration word that parses must
///   do the same.
enum ControlLineTarget {
    static let target = FuzzTarget(name: "control", run: run, seeds: seeds)
    /// Fixed, so a finding replays the same: 2023-11-14 22:13:20 UTC, in a UTC calendar.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func run(_ bytes: [UInt8]) {
        splitLines(bytes)
        for line in bytes.split(separator: UInt8(ascii: "\n")).prefix(16) {
            let text = String(decoding: line, as: UTF8.self)
            for word in text.split(separator: " ").prefix(4) {
                guard let duration = DurationText.parse(String(word)) else { continue }
                RoundTrip.require(duration, DurationText.parse(DurationText.text(duration)), "duration")
            }
            guard text.hasPrefix("/"), let schedule = AnnouncementSchedule.parse(command: text) else { continue }
            RoundTrip.require(schedule, AnnouncementSchedule.parse(command: schedule.command), "control command")
            let setAt = now.addingTimeInterval(-Double(line.count))
            let due = schedule.nextFire(after: now, setAt: setAt, calendar: calendar)
            RoundTrip.require(due > now, "control: \(schedule.rule) fires at \(due), not after \(now)")
            RoundTrip.require(AnnouncementSchedule.sleep(until: due, from: now) >= .zero, "control: negative sleep")
        }
    }

    static func splitLines(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let limit = Int(first % 64)
        let readSize = 1 + Int(first / 64) * 5
        // What the splitter must give: each piece between newlines within the limit, a `\r` before `\n` removed,
        // and the piece after the last newline when the stream ends, unless it is empty.
        let pieces = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        func text(_ piece: ArraySlice<UInt8>) -> String {
            String(decoding: piece.last == UInt8(ascii: "\r") ? piece.dropLast() : piece, as: UTF8.self)
        }
        var reference = pieces.dropLast().filter { $0.count <= limit }.map(text)
        if let last = pieces.last, !last.isEmpty, last.count <= limit { reference.append(text(last)) }
        var splitter = ControlLineSplitter(limit: limit)
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + readSize)
            lines += splitter.take(bytes[start..<end])
            start = end
        }
        if let last = splitter.finish() { lines.append(last) }
        RoundTrip.require(lines == reference, "control lines: \(lines) instead of \(reference)")
        RoundTrip.require(splitter.droppedLines == pieces.count { $0.count > limit }, "control lines: dropped count")
    }

    static func seeds() -> [[UInt8]] {
        [
            "/every 30m Please mute when you are not speaking",
            "/at 09:55 Standup in five minutes\n/at 23:59 Good night",
            "every 1h30m hourly and a half\nat 7:05 early",
            "hello everyone, this is not a command\n/every 90s x",
            "/every 9223372036854775807s far\n/every 2562047788015215h30m7s farther\n/every 0s never",
            "/at 24:00 bad\n/every 1x bad\n/unknown thing here",
        ].map { Array($0.utf8) }
    }
}
