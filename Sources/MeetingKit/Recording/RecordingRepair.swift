import Foundation
import Recorder

/// Finalizes a recording that a killed process left live: cut at its last complete block, then the
/// same Cues, sizes, Duration and SeekHead that a clean close writes. A finalized file is left alone.
public enum RecordingRepair {
    public enum Outcome: Equatable {
        case finalized(blocks: Int, durationMilliseconds: Int64, bytesCut: Int64)
        case alreadyFinalized(blocks: Int, durationMilliseconds: Int64)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func repair(path: String) throws(Failure) -> Outcome {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open: \(String(cString: strerror(errno)))") }
        defer { _ = close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw Failure(description: "a running recorder is still writing it")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(description: "cannot stat: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw Failure(description: "not a regular file") }
        let size = Int(status.st_size)
        guard size > 0 else { throw Failure(description: "empty file") }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
            throw Failure(description: "cannot map: \(String(cString: strerror(errno)))")
        }
        let bytes = UnsafeRawBufferPointer(start: mapping, count: size)
        let scan: WebMLiveFileReader.Result
        let finalization: WebMFinalization
        let finalized: Bool
        do {
            defer { munmap(mapping, size) }
            do {
                scan = try WebMLiveFileReader.read(bytes)
            } catch {
                throw Failure(description: error.description)
            }
            finalization = WebMFinalization(scan.layout)
            finalized = isApplied(finalization, in: bytes)
        }
        if finalized {
            return .alreadyFinalized(blocks: scan.blocks, durationMilliseconds: scan.layout.duration)
        }
        do {
            try RecordingFile.apply(finalization, to: descriptor)
        } catch {
            throw Failure(description: "finalizing failed: \(error)")
        }
        return .finalized(blocks: scan.blocks, durationMilliseconds: scan.layout.duration, bytesCut: scan.bytesAfterMedia)
    }

    /// Whether the file already ends with these Cues and holds every patch.
    private static func isApplied(_ finalization: WebMFinalization, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard Int64(bytes.count) == finalization.end else { return false }
        let start = Int(finalization.trailingOffset)
        guard bytes[start..<bytes.count].elementsEqual(finalization.trailing) else { return false }
        return finalization.patches.allSatisfy { patch in
            let end = patch.offset + Int64(patch.bytes.count)
            guard patch.offset >= 0, end <= Int64(bytes.count) else { return false }
            return bytes[Int(patch.offset)..<Int(end)].elementsEqual(patch.bytes)
        }
    }
}
