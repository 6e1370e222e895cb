import CEngageZlib

/// Streaming gzip decoding with a cap on the decoded size: a small compressed body can inflate
/// to gigabytes, so the cap is checked as output is produced, not after.
final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let limit: Int
    private(set) var produced = 0
    private(set) var finished = false

    init(limit: Int) throws {
        self.limit = limit
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard cengage_gzip_inflate_init(stream) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw NewsError(.malformed, "gzip decoder could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Appends what `input` decodes to into `output`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished, let base = input.baseAddress, input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        var chunk = [UInt8](repeating: 0, count: 32 * 1024)
        while stream.pointee.avail_in > 0 && !finished {
            let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                return CEngageZlib.inflate(stream, Z_NO_FLUSH)
            }
            let count = chunk.count - Int(stream.pointee.avail_out)
            produced += count
            guard produced <= limit else {
                throw NewsError(.tooLarge, "gzip body inflates past \(limit) bytes")
            }
            output.append(contentsOf: chunk[..<count])
            switch status {
            case Z_STREAM_END:
                finished = true
            case Z_OK:
                continue
            case Z_BUF_ERROR where count > 0:
                continue
            default:
                throw NewsError(.malformed, "corrupt gzip body (zlib status \(status))")
            }
        }
        stream.pointee.next_in = nil
    }
}
