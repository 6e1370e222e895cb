import Mesh

/// What turns a live WebM file into a finalized, seekable one: Cues to append, then bytes to overwrite
/// in place (cluster sizes, Duration, SeekHead, the Segment's size).
///
/// Apply `trailing` first, then `patches` in order. Every step leaves a valid file: Cues after
/// unknown-size clusters end the last one; a cluster with a known size reads like one with an unknown
/// size; the Segment's size, patched last, is the only change that makes readers trust the Cues and
/// Duration and stop at the end. A process killed midway thus leaves a file that plays and that
/// `WebMLiveFileReader` can finalize again.
public struct WebMFinalization: Sendable, Equatable {
    public struct Patch: Sendable, Equatable {
        public var offset: Int64
        public var bytes: [UInt8]

        public init(offset: Int64, bytes: [UInt8]) {
            self.offset = offset
            self.bytes = bytes
        }
    }

    /// Where `trailing` goes: the end of the media. Anything beyond it in the file is cut.
    public var trailingOffset: Int64
    public var trailing: [UInt8]
    public var patches: [Patch]

    /// The file's length once finalized.
    public var end: Int64 { trailingOffset + Int64(trailing.count) }

    public init(trailingOffset: Int64, trailing: [UInt8], patches: [Patch]) {
        self.trailingOffset = trailingOffset
        self.trailing = trailing
        self.patches = patches
    }

    public init(_ layout: WebMLayout) {
        trailingOffset = layout.end
        var cues = ByteWriter(capacity: 32 * layout.cuePoints.count + 16)
        if !layout.cuePoints.isEmpty {
            cues.ebmlMaster(EBML.ID.cues) { cues in
                for point in layout.cuePoints {
                    cues.ebmlMaster(EBML.ID.cuePoint) { entry in
                        entry.ebmlUInt(EBML.ID.cueTime, UInt64(clamping: point.time))
                        entry.ebmlMaster(EBML.ID.cueTrackPositions) { positions in
                            positions.ebmlUInt(EBML.ID.cueTrack, point.track)
                            positions.ebmlUInt(
                                EBML.ID.cueClusterPosition, UInt64(clamping: point.clusterOffset - layout.segmentDataOffset))
                            positions.ebmlUInt(EBML.ID.cueRelativePosition, UInt64(clamping: point.relativePosition))
                        }
                    }
                }
            }
        }
        trailing = cues.bytes
        var patches: [Patch] = []
        for cluster in layout.clusters {
            let size = cluster.end - (cluster.sizeOffset + 8)
            if size >= 0, let field = EBML.encodeSize(UInt64(size), length: 8) {
                patches.append(Patch(offset: cluster.sizeOffset, bytes: field))
            }
        }
        // Readers give each video frame the declared mean interval, so the media lasts at least that past
        // the last frame of each video track.
        var duration = layout.duration
        for timing in layout.frameTiming.values where timing.frames >= 2 && timing.last > timing.first {
            let mean = (timing.last - timing.first + Int64(timing.frames - 2)) / Int64(timing.frames - 1)
            duration = max(duration, timing.last &+ mean)
        }
        for (track, slot) in layout.frameDurationSlots.sorted(by: { $0.key < $1.key }) {
            // The measured mean frame interval, in nanoseconds (timestamps are in milliseconds).
            guard let timing = layout.frameTiming[track], timing.frames >= 2, timing.last > timing.first else { continue }
            let (span, overflow) = (timing.last - timing.first).multipliedReportingOverflow(by: 1_000_000)
            guard !overflow else { continue }
            var entry = ByteWriter(capacity: WebMLayout.frameDurationSlotLength)
            entry.ebmlID(EBML.ID.defaultDuration)
            entry.ebmlSize(8)
            entry.write(UInt64(span / Int64(timing.frames - 1)))
            patches.append(Patch(offset: slot, bytes: entry.bytes))
        }
        if let slot = layout.durationSlot, !layout.clusters.isEmpty {
            var durationElement = ByteWriter(capacity: WebMLayout.durationSlotLength)
            // Duration must be positive; a lone frame at zero has no measured length, so it gets one unit.
            durationElement.ebmlFloat(EBML.ID.duration, Double(max(duration, 1)))
            patches.append(Patch(offset: slot, bytes: durationElement.bytes))
        }
        if let slot = layout.seekHeadSlot {
            var entries: [(UInt32, Int64)] = []
            if let info = layout.infoOffset { entries.append((EBML.ID.info, info)) }
            if let tracks = layout.tracksOffset { entries.append((EBML.ID.tracks, tracks)) }
            if !trailing.isEmpty { entries.append((EBML.ID.cues, layout.end)) }
            var seekHead = ByteWriter(capacity: WebMLayout.seekHeadSlotLength)
            seekHead.ebmlMaster(EBML.ID.seekHead) { head in
                for (id, offset) in entries {
                    head.ebmlMaster(EBML.ID.seek) { seek in
                        seek.ebmlBinary(EBML.ID.seekID, EBML.encodeID(id))
                        // Always 8 bytes, so the SeekHead's length does not depend on where things are.
                        seek.ebmlID(EBML.ID.seekPosition)
                        seek.ebmlSize(8)
                        seek.write(UInt64(clamping: offset - layout.segmentDataOffset))
                    }
                }
            }
            let room = Int(slot.upperBound - slot.lowerBound) - seekHead.count
            if room == 0 {
                patches.append(Patch(offset: slot.lowerBound, bytes: seekHead.bytes))
            } else if let padding = EBML.void(totalLength: room) {
                patches.append(Patch(offset: slot.lowerBound, bytes: seekHead.bytes + padding))
            }
        }
        let segmentSize = trailingOffset + Int64(trailing.count) - layout.segmentDataOffset
        if segmentSize >= 0, let field = EBML.encodeSize(UInt64(segmentSize), length: 8) {
            patches.append(Patch(offset: layout.segmentSizeOffset, bytes: field))
        }
        self.patches = patches
    }
}

extension WebMFinalization {
    /// The finalized file from the live one, in memory: what the file edge does on disk (truncate to
    /// `trailingOffset`, append `trailing`, write the patches). Patches that fall outside are skipped.
    public func applied(to live: [UInt8]) -> [UInt8] {
        let keep = Int(clamping: max(0, min(trailingOffset, Int64(live.count))))
        var bytes = Array(live.prefix(keep)) + trailing
        for patch in patches {
            guard patch.offset >= 0, patch.offset + Int64(patch.bytes.count) <= Int64(bytes.count) else { continue }
            let start = Int(patch.offset)
            bytes.replaceSubrange(start..<(start + patch.bytes.count), with: patch.bytes)
        }
        return bytes
    }
}
