import Foundation
import Recorder
import Synchronization

/// `recordings/<room>-<UTC start>/`: every file of one run, named so that no name escapes it.
public final class SessionFolder: Sendable {
    public let path: String
    private let naming = Mutex(FileNaming())

    public init(root: String, room: String, start: Date) throws {
        let folder = FileNaming.sanitize(room) + "-" + (ISOTime.compactUTC(start) ?? "undated")
        path = (root as NSString).appendingPathComponent(folder)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Replaces `name` whole: a reader, or a process killed meanwhile, sees the old file or the new one.
    /// On failure (disk full) the old file stays and the partial one is removed.
    func writeAtomically(_ name: String, _ bytes: [UInt8]) throws {
        let target = (path as NSString).appendingPathComponent(name)
        let temporary = (path as NSString).appendingPathComponent(".\(name).partial")
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else { throw POSIXError.current }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A path for a new file of `participant`, never one handed out before in this session.
    func reserveFile(for participant: String, suffix: String = "", extension fileExtension: String) -> String {
        let stem = naming.withLock { $0.uniqueStem(for: participant, suffix: suffix) }
        return (path as NSString).appendingPathComponent(stem + "." + fileExtension)
    }
}
