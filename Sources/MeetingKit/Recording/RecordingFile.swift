import CEngageFileSync
import Foundation
import NIOPosix
import Recorder

/// One recording on disk: appended with plain `write(2)` calls while live, so a killed process leaves
/// everything written so far, then finalized in place once (Cues appended, sizes, Duration and SeekHead
/// written over the room the header reserved).
///
/// The file is locked (`flock`) while open, so `engage-bot repair` never finalizes a file that a
/// running recorder is still writing.
///
/// What is appended is handed to the disk as it comes (writeback started, not waited for, every
/// `writebackStep` bytes): otherwise the page cache holds up to 30 s of every recording, and the
/// `fsync` that finalizing needs waits for all of it at once when the meeting ends (at 100 participants
/// ~400 MB, most of the 1.9 s the bot took to leave). It also bounds what a machine crash, not only a
/// killed process, takes from the end of a recording.
final class RecordingFile {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var bytesWritten = 0
    /// Whether something was written since the last `fsync` (finalizing ends with one; closing need not repeat it).
    private var unsynced = false
    /// Where the writeback started so far ends.
    private var writebackStarted = 0

    /// About a second of a 1 Mbit/s camera.
    static let writebackStep = 128 * 1024

    init(path: String) { self.path = path }

    func append(_ bytes: [UInt8]) throws {
        try append(contentsOf: [bytes])
    }

    /// Appends `pieces` in order, gathered by `writev(2)`: a batch of blocks goes to disk in one call
    /// without first being copied into one buffer.
    func append(contentsOf pieces: [[UInt8]]) throws {
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw POSIXError.current }
            _ = flock(descriptor, LOCK_EX | LOCK_NB)
        }
        try writeFully(pieces, to: descriptor)
        for piece in pieces { bytesWritten += piece.count }
        unsynced = true
        if bytesWritten - writebackStarted >= Self.writebackStep {
            // A hint: if the kernel refuses it, the data is still written, only later.
            _ = cengage_start_writeback(descriptor, Int64(writebackStarted), Int64(bytesWritten - writebackStarted))
            writebackStarted = bytesWritten
        }
    }

    /// Nothing to do when nothing was ever written.
    func finalize(_ finalization: WebMFinalization) throws {
        guard descriptor >= 0 else { return }
        try Self.apply(finalization, to: descriptor)
        unsynced = false
    }

    /// `finalize` on a thread of `finalizingThreads` rather than the caller's: its two `fsync`s block,
    /// and the concurrency pool has one thread per core, so a meeting's 100 recordings finalizing on it
    /// waited for 200 journal commits one or two at a time. Side by side the file system commits them
    /// together.
    func finalizeAside(_ finalization: WebMFinalization) async throws {
        guard descriptor >= 0 else { return }
        let descriptor = descriptor
        // Not `runIfActive`, which gives up in a cancelled task: a recording is cancelled to end it, and
        // ending is when it must finalize.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Self.finalizingThreads.submit { state in
                guard case .active = state else { return continuation.resume(throwing: CancellationError()) }
                continuation.resume(with: Result { try Self.apply(finalization, to: descriptor) })
            }
        }
        unsynced = false
    }

    /// Threads that wait for the disk while recordings finalize; idle otherwise. Sixteen: enough for the
    /// file system to commit many files' syncs at once, few enough to bound what a crowd leaving costs.
    static let finalizingThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    func close() {
        if descriptor >= 0 {
            if unsynced { fsync(descriptor) }
            _ = Foundation.close(descriptor)
            descriptor = -1
        }
    }

    deinit { close() }

    /// After a failed write (disk full, I/O error): closes the file and finalizes what it holds, cut at its
    /// last whole block, so it plays and seeks up to there. Says how the file was left.
    func closeAfterFailure() -> String {
        let wasOpen = descriptor >= 0
        close()
        guard wasOpen else { return "no file was written" }
        guard bytesWritten > 0 else {
            unlink(path)
            return "nothing could be written, so no file is kept"
        }
        do {
            switch try RecordingRepair.repair(path: path) {
            case .finalized(let blocks, let duration, _), .alreadyFinalized(let blocks, let duration):
                return "the file is closed and finalized at \(Double(duration) / 1000) s (\(blocks) blocks)"
            }
        } catch {
            // Finalizing needs a few kilobytes for the Cues; without them the file still plays to its last
            // whole block (nothing past it is kept), and `engage-bot repair` finishes it once there is room.
            return "the file is closed, playable but not finalized (\(error)); run `engage-bot repair` on it"
        }
    }

    /// Cuts whatever lies past the media, appends the Cues and syncs them before any patch, so that every
    /// patch lands on a file whose tail is already whole; then the patches in their order, and a sync.
    static func apply(_ finalization: WebMFinalization, to descriptor: Int32) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw POSIXError.current }
        if Int64(status.st_size) != finalization.trailingOffset {
            guard ftruncate(descriptor, off_t(finalization.trailingOffset)) == 0 else { throw POSIXError.current }
        }
        try writeFully(finalization.trailing, at: finalization.trailingOffset, to: descriptor)
        guard fsync(descriptor) == 0 else { throw POSIXError.current }
        for patch in finalization.patches {
            try writeFully(patch.bytes, at: patch.offset, to: descriptor)
        }
        guard fsync(descriptor) == 0 else { throw POSIXError.current }
    }
}

/// All of `bytes`, at `offset` (`pwrite`) or at the end (`write`), through short writes and EINTR.
func writeFully(_ bytes: [UInt8], at offset: Int64?, to descriptor: Int32) throws {
    var done = 0
    while done < bytes.count {
        let written = bytes[done...].withUnsafeBytes { buffer in
            if let offset {
                pwrite(descriptor, buffer.baseAddress, buffer.count, off_t(offset + Int64(done)))
            } else {
                Foundation.write(descriptor, buffer.baseAddress, buffer.count)
            }
        }
        if written < 0 {
            if errno == EINTR { continue }
            throw POSIXError.current
        }
        done += written
    }
}

/// All of `pieces`, in order, at the end of the file, through short writes and EINTR: one `writev` for up
/// to `gatheredPiecesPerCall` pieces.
func writeFully(_ pieces: [[UInt8]], to descriptor: Int32) throws {
    var start = pieces.startIndex
    while start < pieces.endIndex {
        let end = min(start + gatheredPiecesPerCall, pieces.endIndex)
        var vectors: [iovec] = []
        vectors.reserveCapacity(end - start)
        try gatherAndWrite(pieces[start..<end], from: start, into: &vectors, to: descriptor)
        start = end
    }
}

/// Far below the kernel's IOV_MAX (1,024); it also bounds the nesting below.
let gatheredPiecesPerCall = 64

/// Nests one `withUnsafeBytes` per piece, so every pointer handed to the kernel is valid while it writes.
private func gatherAndWrite(_ pieces: ArraySlice<[UInt8]>, from index: Int, into vectors: inout [iovec],
                            to descriptor: Int32) throws {
    guard index < pieces.endIndex else { return try writeVectors(&vectors, to: descriptor) }
    try pieces[index].withUnsafeBytes { buffer in
        vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress), iov_len: buffer.count))
        try gatherAndWrite(pieces, from: index + 1, into: &vectors, to: descriptor)
    }
}

private func writeVectors(_ vectors: inout [iovec], to descriptor: Int32) throws {
    var first = 0
    while first < vectors.count {
        let written = vectors[first...].withUnsafeBufferPointer { remaining in
            writev(descriptor, remaining.baseAddress, Int32(remaining.count))
        }
        if written < 0 {
            if errno == EINTR { continue }
            throw POSIXError.current
        }
        var left = written
        while first < vectors.count, left >= vectors[first].iov_len {
            left -= vectors[first].iov_len
            first += 1
        }
        if left > 0 {
            vectors[first].iov_base = vectors[first].iov_base.map { $0 + left }
            vectors[first].iov_len -= left
        } else if written == 0, first < vectors.count {
            // A regular file never takes nothing of a non-empty write; a device that does would loop forever.
            throw POSIXError(.EIO)
        }
    }
}

extension POSIXError {
    static var current: POSIXError { POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
