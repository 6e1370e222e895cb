import Mesh
import Recorder

/// A minimal reader of the subset of WebM that `WebMWriter` produces, to check its structure block by block.
struct WebMWalk {
    struct Block {
        var track: UInt64
        var relative: Int16
        var keyframe: Bool
        var payload: [UInt8]
    }

    struct Cluster {
        var timestamp: UInt64
        var blocks: [Block] = []
    }

    var topLevel: [UInt32] = []
    var segmentChildren: [UInt32] = []
    var clusters: [Cluster] = []

    /// Absolute (milliseconds) timestamps per track, in file order.
    func timestamps(track: UInt64) -> [Int64] {
        clusters.flatMap { cluster in
            cluster.blocks.filter { $0.track == track }.map { Int64(cluster.timestamp) + Int64($0.relative) }
        }
    }

    init(_ bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        while !reader.isAtEnd {
            let id = try EBML.readID(&reader)
            topLevel.append(id)
            let size = try EBML.readSize(&reader)
            if id == EBML.ID.segment {
                guard size == nil else { throw ParseError("live Segment must have unknown size") }
                try readSegment(&reader)
            } else {
                try reader.skip(Int(try Self.known(size)))
            }
        }
    }

    private mutating func readSegment(_ reader: inout ByteReader) throws {
        while !reader.isAtEnd {
            let id = try EBML.readID(&reader)
            segmentChildren.append(id)
            let size = try EBML.readSize(&reader)
            if id == EBML.ID.cluster {
                guard size == nil else { throw ParseError("live Cluster must have unknown size") }
                clusters.append(try Self.readCluster(&reader))
            } else {
                try reader.skip(Int(try Self.known(size)))
            }
        }
    }

    /// An unknown-size Cluster ends where the next Cluster (or the input) begins.
    private static func readCluster(_ reader: inout ByteReader) throws -> Cluster {
        var cluster: Cluster?
        while !reader.isAtEnd {
            var peek = reader
            if try EBML.readID(&peek) == EBML.ID.cluster { break }
            let id = try EBML.readID(&reader)
            let body = try reader.readBytes(Int(try known(try EBML.readSize(&reader))))
            switch id {
            case EBML.ID.timestamp:
                guard cluster == nil else { throw ParseError("second Timestamp in a Cluster") }
                cluster = Cluster(timestamp: body.reduce(0) { $0 << 8 | UInt64($1) })
            case EBML.ID.simpleBlock:
                guard cluster != nil else { throw ParseError("SimpleBlock before the Cluster's Timestamp") }
                var block = ByteReader(body)
                guard let track = try EBML.readSize(&block) else { throw ParseError("unknown-size track number") }
                let relative = Int16(bitPattern: try block.readUInt16())
                let flags = try block.readUInt8()
                guard flags & 0x06 == 0 else { throw ParseError("laced SimpleBlock") }
                cluster?.blocks.append(Block(track: track, relative: relative, keyframe: flags & 0x80 != 0, payload: Array(block.readRest())))
            default:
                throw ParseError("unexpected Cluster child \(id)")
            }
        }
        guard let cluster else { throw ParseError("Cluster without Timestamp") }
        return cluster
    }

    private static func known(_ size: UInt64?) throws -> UInt64 {
        guard let size, size <= UInt64(Int.max) else { throw ParseError("unknown size where a size is required") }
        return size
    }
}
