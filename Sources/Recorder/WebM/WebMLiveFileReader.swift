/// Reads a WebM file as `WebMWriter` leaves it (live, finalized, or cut anywhere by a killed process)
/// back into the `WebMLayout` that finalizing it needs: bytes in, layout out.
///
/// The file is untrusted: every size is checked against the bytes present, and the first element that
/// is cut short or malformed ends the media there. What came before it is kept down to the last
/// complete block; a cluster cut before its first block is dropped whole. Cues and anything after the
/// last cluster are left out of the layout, since finalizing writes them anew.
public enum WebMLiveFileReader {
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public struct Result: Sendable, Equatable {
        public var layout: WebMLayout
        public var blocks = 0
        /// Bytes past the media: a cut block or cluster, or the Cues of a finalized file.
        public var bytesAfterMedia: Int64 = 0
    }

    private struct Header {
        var id: UInt32
        /// `nil` for the unknown size.
        var size: Int64?
        var idLength: Int
        var length: Int
    }

    private enum Parsed {
        case header(Header)
        /// The input ends inside the header.
        case truncated
        case invalid(String)
    }

    public static func read(_ bytes: [UInt8]) throws(Failure) -> Result {
        let outcome = bytes.withUnsafeBytes { buffer in Swift.Result { () throws(Failure) in try read(buffer) } }
        return try outcome.get()
    }

    public static func read(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Result {
        let count = Int64(bytes.count)
        guard case .header(let ebml) = parseHeader(bytes, at: 0, limit: count), ebml.id == EBML.ID.ebml,
            let ebmlSize = ebml.size
        else { throw Failure("not a WebM file: no EBML header") }
        let ebmlEnd = Int64(ebml.length) + ebmlSize
        guard ebmlEnd <= count else { throw Failure("the EBML header is cut short") }
        let docType = try docType(bytes, in: Int64(ebml.length)..<ebmlEnd)
        guard docType == "webm" || docType == "matroska" else { throw Failure("DocType '\(docType)' is not WebM") }

        guard case .header(let segment) = parseHeader(bytes, at: ebmlEnd, limit: count), segment.id == EBML.ID.segment
        else { throw Failure("no Segment after the EBML header") }
        guard segment.length - segment.idLength == 8 else {
            throw Failure("the Segment's size field is not 8 bytes wide, so it cannot be finalized in place")
        }
        var layout = WebMLayout()
        layout.segmentSizeOffset = ebmlEnd + Int64(segment.idLength)
        layout.segmentDataOffset = ebmlEnd + Int64(segment.length)
        var segmentEnd = count
        if let size = segment.size, size <= count - layout.segmentDataOffset { segmentEnd = layout.segmentDataOffset + size }

        var result = Result(layout: layout)
        var tracker = WebMBlockTracker()
        var videoTracks: Set<UInt64> = []
        var position = layout.segmentDataOffset
        var mediaEnd = position
        scan: while position < segmentEnd {
            guard case .header(let header) = parseHeader(bytes, at: position, limit: segmentEnd) else { break }
            let bodyStart = position + Int64(header.length)
            let completeEnd = header.size.flatMap { size in size <= segmentEnd - bodyStart ? bodyStart + size : nil }
            switch header.id {
            case EBML.ID.void where position == layout.segmentDataOffset, EBML.ID.seekHead where position == layout.segmentDataOffset:
                guard var end = completeEnd else { break scan }
                // A finalized file holds the SeekHead and then a Void padding out the reserved room.
                if header.id == EBML.ID.seekHead, case .header(let padding) = parseHeader(bytes, at: end, limit: segmentEnd),
                    padding.id == EBML.ID.void, let size = padding.size, size <= segmentEnd - end - Int64(padding.length) {
                    end += Int64(padding.length) + size
                }
                // The writer reserves a few dozen bytes; a hostile size would make finalizing allocate it all.
                if end - position <= Int64(WebMLayout.maximumSeekHeadSlotLength) { result.layout.seekHeadSlot = position..<end }
                position = end
            case EBML.ID.info:
                guard let end = completeEnd else { throw Failure("Info is cut short") }
                result.layout.infoOffset = position
                result.layout.durationSlot = try durationSlot(bytes, in: bodyStart..<end)
                position = end
            case EBML.ID.tracks:
                guard let end = completeEnd else { throw Failure("Tracks is cut short") }
                result.layout.tracksOffset = position
                (videoTracks, result.layout.frameDurationSlots) = try self.videoTracks(bytes, in: bodyStart..<end)
                position = end
            case EBML.ID.cluster:
                guard result.layout.tracksOffset != nil else { throw Failure("a Cluster comes before Tracks") }
                guard header.length - header.idLength == 8 else {
                    throw Failure("a Cluster's size field is not 8 bytes wide, so it cannot be finalized in place")
                }
                let cluster = readCluster(
                    bytes, header: header, at: position, limit: completeEnd ?? segmentEnd,
                    videoTracks: videoTracks, tracker: &tracker, result: &result)
                guard let end = cluster.end else { break scan }
                mediaEnd = end
                position = end
                if cluster.cut { break scan }
                continue scan
            case EBML.ID.cues:
                break scan
            default:
                guard let end = completeEnd else { break scan }
                position = end
            }
            if result.layout.clusters.isEmpty { mediaEnd = position }
        }
        guard result.layout.infoOffset != nil, result.layout.tracksOffset != nil else {
            throw Failure("the header is cut short: no complete Info and Tracks")
        }
        guard result.layout.seekHeadSlot != nil, result.layout.durationSlot != nil else {
            throw Failure("no room reserved for a SeekHead and a Duration (written by an older recorder?), so it cannot be finalized in place")
        }
        result.layout.end = mediaEnd
        result.bytesAfterMedia = count - mediaEnd
        return result
    }

    /// Reads one cluster's blocks; `end` is past its last complete child (nil when it holds no block and
    /// was cut), `cut` whether the input ended or broke inside it.
    private static func readCluster(
        _ bytes: UnsafeRawBufferPointer, header: Header, at offset: Int64, limit: Int64,
        videoTracks: Set<UInt64>, tracker: inout WebMBlockTracker, result: inout Result
    ) -> (end: Int64?, cut: Bool) {
        let sizeOffset = offset + Int64(header.idLength)
        let bodyStart = offset + Int64(header.length)
        var position = bodyStart
        var clusterTime: Int64?
        var blocks = 0
        var cut = false
        var clusterIndex: Int?
        while position < limit {
            guard case .header(let child) = parseHeader(bytes, at: position, limit: limit) else {
                cut = true
                break
            }
            // An unknown-size Cluster ends where the next element of the Segment's level begins.
            if header.size == nil, EBML.ID.segmentLevel.contains(child.id) { break }
            let childBody = position + Int64(child.length)
            guard let size = child.size, size <= limit - childBody else {
                cut = true
                break
            }
            let end = childBody + size
            switch child.id {
            case EBML.ID.timestamp:
                guard clusterTime == nil, let value = readUInt(bytes, in: childBody..<end), value <= UInt64(Int64.max / 2)
                else {
                    cut = true
                    break
                }
                clusterTime = Int64(value)
            case EBML.ID.simpleBlock, EBML.ID.blockGroup:
                guard let clusterTime, let block = blockHeader(bytes, id: child.id, in: childBody..<end) else {
                    cut = true
                    break
                }
                if clusterIndex == nil {
                    result.layout.clusters.append(WebMLayout.Cluster(offset: offset, sizeOffset: sizeOffset, end: end))
                    clusterIndex = result.layout.clusters.count - 1
                }
                tracker.record(
                    track: block.track, time: clusterTime + block.relative, keyframe: block.keyframe,
                    isVideo: videoTracks.contains(block.track), clusterOffset: offset,
                    relativePosition: position - bodyStart, into: &result.layout)
                blocks += 1
                result.blocks += 1
            default:
                break
            }
            if cut { break }
            position = end
            if let clusterIndex, child.id == EBML.ID.simpleBlock || child.id == EBML.ID.blockGroup {
                result.layout.clusters[clusterIndex].end = end
            }
        }
        guard let clusterIndex else { return (nil, true) }
        // A complete cluster keeps everything up to where the next element begins; a cut one only its whole blocks.
        if !cut { result.layout.clusters[clusterIndex].end = position }
        return (result.layout.clusters[clusterIndex].end, cut)
    }

    private struct BlockHeader {
        var track: UInt64
        var relative: Int64
        var keyframe: Bool
    }

    /// A SimpleBlock's track, offset and keyframe flag; for a BlockGroup, those of its Block, a keyframe
    /// when no ReferenceBlock points elsewhere.
    private static func blockHeader(_ bytes: UnsafeRawBufferPointer, id: UInt32, in range: Range<Int64>) -> BlockHeader? {
        var blockRange = range
        var keyframe = true
        if id == EBML.ID.blockGroup {
            var found: Range<Int64>?
            var position = range.lowerBound
            while position < range.upperBound {
                guard case .header(let child) = parseHeader(bytes, at: position, limit: range.upperBound),
                    let size = child.size, size <= range.upperBound - position - Int64(child.length)
                else { return nil }
                let body = position + Int64(child.length)
                if child.id == 0xA1 { found = body..<(body + size) }
                if child.id == 0xFB { keyframe = false }
                position = body + size
            }
            guard let found else { return nil }
            blockRange = found
        }
        guard case .header(let track) = parseVint(bytes, at: blockRange.lowerBound, limit: blockRange.upperBound, isID: false),
            let number = track.size, blockRange.upperBound - blockRange.lowerBound >= Int64(track.length) + 3
        else { return nil }
        let at = Int(blockRange.lowerBound) + track.length
        let relative = Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))
        if id == EBML.ID.simpleBlock { keyframe = bytes[at + 2] & 0x80 != 0 }
        return BlockHeader(track: UInt64(number), relative: Int64(relative), keyframe: keyframe)
    }

    private static func docType(_ bytes: UnsafeRawBufferPointer, in range: Range<Int64>) throws(Failure) -> String {
        var docType = "matroska"  // the default when the element is absent
        try forEachChild(bytes, in: range) { id, body, _ in
            if id == EBML.ID.docType {
                docType = String(decoding: bytes[Int(body.lowerBound)..<Int(body.upperBound)].prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return docType
    }

    /// The room for Duration: the 11-byte Void the writer reserves, or the Duration written over it.
    private static func durationSlot(_ bytes: UnsafeRawBufferPointer, in range: Range<Int64>) throws(Failure) -> Int64? {
        var slot: Int64?
        try forEachChild(bytes, in: range) { id, body, start in
            let length = body.upperBound - start
            let fits = length == Int64(WebMLayout.durationSlotLength)
            if slot == nil, fits, id == EBML.ID.void || id == EBML.ID.duration { slot = start }
        }
        return slot
    }

    /// The video tracks, and where each holds room for its DefaultDuration: the 12-byte Void the writer
    /// reserves, or the DefaultDuration written over it.
    private static func videoTracks(
        _ bytes: UnsafeRawBufferPointer, in range: Range<Int64>
    ) throws(Failure) -> (Set<UInt64>, [UInt64: Int64]) {
        var video: Set<UInt64> = []
        var slots: [UInt64: Int64] = [:]
        try forEachChild(bytes, in: range) { id, entry, _ throws(Failure) in
            guard id == EBML.ID.trackEntry else { return }
            var number: UInt64?
            var type: UInt64?
            var slot: Int64?
            try forEachChild(bytes, in: entry) { id, body, start in
                if id == EBML.ID.trackNumber { number = readUInt(bytes, in: body) }
                if id == EBML.ID.trackType { type = readUInt(bytes, in: body) }
                let fits = body.upperBound - start == Int64(WebMLayout.frameDurationSlotLength)
                if slot == nil, fits, id == EBML.ID.void || id == EBML.ID.defaultDuration { slot = start }
            }
            if let number, type == 1 {
                video.insert(number)
                if let slot { slots[number] = slot }
            }
        }
        return (video, slots)
    }

    /// Visits the children of a master element that is wholly present; any child that does not fit is malformed.
    private static func forEachChild(
        _ bytes: UnsafeRawBufferPointer, in range: Range<Int64>,
        _ visit: (_ id: UInt32, _ body: Range<Int64>, _ start: Int64) throws(Failure) -> Void
    ) throws(Failure) {
        var position = range.lowerBound
        while position < range.upperBound {
            guard case .header(let child) = parseHeader(bytes, at: position, limit: range.upperBound),
                let size = child.size, size <= range.upperBound - position - Int64(child.length)
            else { throw Failure("malformed element at byte \(position)") }
            let body = position + Int64(child.length)
            try visit(child.id, body..<(body + size), position)
            position = body + size
        }
    }

    private static func readUInt(_ bytes: UnsafeRawBufferPointer, in range: Range<Int64>) -> UInt64? {
        guard range.upperBound - range.lowerBound <= 8 else { return nil }
        var value: UInt64 = 0
        for index in Int(range.lowerBound)..<Int(range.upperBound) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    private static func parseHeader(_ bytes: UnsafeRawBufferPointer, at offset: Int64, limit: Int64) -> Parsed {
        guard case .header(let id) = parseVint(bytes, at: offset, limit: limit, isID: true) else {
            return parseVint(bytes, at: offset, limit: limit, isID: true)
        }
        let sizeAt = offset + Int64(id.length)
        guard case .header(let size) = parseVint(bytes, at: sizeAt, limit: limit, isID: false) else {
            return parseVint(bytes, at: sizeAt, limit: limit, isID: false)
        }
        return .header(Header(id: id.id, size: size.size, idLength: id.length, length: id.length + size.length))
    }

    /// One vint: an element ID (marker bits kept, at most 4 bytes) or a size (marker removed, at most 8
    /// bytes, all value bits set meaning unknown). The result comes back in `Header`'s fields.
    private static func parseVint(_ bytes: UnsafeRawBufferPointer, at offset: Int64, limit: Int64, isID: Bool) -> Parsed {
        let end = min(limit, Int64(bytes.count))
        guard offset >= 0, offset < end else { return .truncated }
        let first = bytes[Int(offset)]
        guard first != 0 else { return .invalid("vint longer than 8 bytes at \(offset)") }
        let length = first.leadingZeroBitCount + 1
        guard !isID || length <= 4 else { return .invalid("ID longer than 4 bytes at \(offset)") }
        guard Int64(length) <= end - offset else { return .truncated }
        var raw = UInt64(first)
        for index in 1..<length { raw = raw << 8 | UInt64(bytes[Int(offset) + index]) }
        if isID { return .header(Header(id: UInt32(truncatingIfNeeded: raw), size: nil, idLength: length, length: length)) }
        let valueBits = UInt64(7 * length)
        let value = raw & ((UInt64(1) << valueBits) - 1)
        let unknown = value == (UInt64(1) << valueBits) - 1
        // Sizes of at most 2^56 - 2 always fit an Int64.
        return .header(Header(id: 0, size: unknown ? nil : Int64(value), idLength: 0, length: length))
    }
}
