import Foundation
import Logging
import Recorder

/// `chat.jsonl` and `chat.txt` of a session: every line said in the meeting, as it was said.
final class ChatTranscript {
    private let json: AppendOnlyFile
    private let text: AppendOnlyFile
    private let logger: Logger

    init(session: SessionFolder, logger: Logger) {
        json = AppendOnlyFile(path: (session.path as NSString).appendingPathComponent("chat.jsonl"))
        text = AppendOnlyFile(path: (session.path as NSString).appendingPathComponent("chat.txt"))
        self.logger = logger
    }

    func append(_ line: ChatLine) {
        do {
            try json.append(line.jsonLine)
            try text.append(line.textLine)
        } catch {
            logger.error("chat transcript not written: \(error)")
        }
    }
}
