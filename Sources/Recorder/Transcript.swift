#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line of the meeting's chat, as the room's browsers send it: `"NAME: TEXT"`.
public struct ChatLine: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Received from a participant.
        case chat
        /// Posted by the bot: its recording notice.
        case notice
        /// Posted by the bot on request (control interface, `--say`).
        case announcement
        /// Posted by the bot from a news feed.
        case news
    }

    /// UTC, ISO 8601.
    public var time: String
    public var kind: Kind
    /// Which connection it came in on (or `bot` for our own lines).
    public var connection: String
    /// The name before the first `": "`, when there is one.
    public var sender: String?
    /// The text after it, or the whole line when there is no name.
    public var text: String
    /// Exactly what travelled on the data channel.
    public var raw: String

    public init(time: String, kind: Kind, connection: String, raw: String) {
        self.time = time
        self.kind = kind
        self.connection = connection
        self.raw = raw
        if let separator = raw.firstRange(of: ": ") {
            sender = String(raw[..<separator.lowerBound])
            text = String(raw[separator.upperBound...])
        } else {
            sender = nil
            text = raw
        }
    }

    /// One line of `chat.jsonl`.
    public var jsonLine: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? Array(encoder.encode(self))) ?? []) + [0x0a]
    }

    /// One line of `chat.txt`: time, name and text, with control characters made visible.
    public var textLine: [UInt8] {
        let clock = time.count >= 19 ? String(time.dropFirst(11).prefix(8)) : time
        let who = sender.map { "\($0): " } ?? ""
        let marker = kind == .chat ? "" : " [\(kind.rawValue)]"
        return Array("\(clock)\(marker) \(ChatLine.printable(who + text))\n".utf8)
    }

    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += scalar == "\n" ? "⏎" : "�"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
