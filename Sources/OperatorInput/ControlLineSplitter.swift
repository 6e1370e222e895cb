/// The control socket's byte stream cut into lines: bytes in as they arrive, whole lines out. No I/O.
///
/// Any local process that can open the socket writes to it, so the state is bounded: at most
/// `limit` bytes of an unfinished line are held, and a longer line is dropped whole (counted) up to its
/// newline. A line ends at `\n`; a `\r` before it is removed; bytes that are not UTF-8 become U+FFFD.
public struct ControlLineSplitter: Sendable {
    /// The longest line taken; a chat message is short, and a runaway client must not grow memory.
    public static let maximumLineBytes = 16 * 1024

    /// `maximumLineBytes` unless a test or fuzz target wants a limit its inputs can reach.
    public let limit: Int
    private var partial: [UInt8] = []
    /// Inside a line that has already run past the limit: everything up to its newline goes.
    private var discarding = false
    /// Lines dropped for being longer than `limit`.
    public private(set) var droppedLines = 0

    public init(limit: Int = maximumLineBytes) {
        self.limit = limit
    }

    /// The lines `bytes` completes, in order.
    public mutating func take(_ bytes: some Collection<UInt8>) -> [String] {
        var lines: [String] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            let piece = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            if discarding || partial.count + piece.count > limit {
                discarding = false
                partial.removeAll(keepingCapacity: false)
                droppedLines += 1
                continue
            }
            partial.append(contentsOf: piece)
            lines.append(Self.line(partial))
            partial.removeAll(keepingCapacity: true)
        }
        if !discarding {
            if partial.count + rest.count > limit {
                discarding = true
                partial.removeAll(keepingCapacity: false)
            } else {
                partial.append(contentsOf: rest)
            }
        }
        return lines
    }

    /// The last line when the stream ends without a newline after it, if it was within the limit.
    public mutating func finish() -> String? {
        defer {
            partial.removeAll(keepingCapacity: false)
            discarding = false
        }
        if discarding {
            droppedLines += 1
            return nil
        }
        return partial.isEmpty ? nil : Self.line(partial)
    }

    private static func line(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}
