import Foundation

/// An append-only file written with plain `write(2)` calls, so what was written survives a killed process.
final class AppendOnlyFile {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var bytesWritten = 0

    init(path: String) { self.path = path }

    func append(_ bytes: [UInt8]) throws {
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw POSIXError.current }
        }
        try writeFully(bytes, at: nil, to: descriptor)
        bytesWritten += bytes.count
    }

    func close() {
        if descriptor >= 0 {
            fsync(descriptor)
            _ = Foundation.close(descriptor)
            descriptor = -1
        }
    }

    deinit { close() }
}
