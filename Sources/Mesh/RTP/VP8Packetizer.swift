/// Splits VP8 frames into RTP payloads, each led by an RFC 7741 §4.2 payload descriptor.
///
/// Every descriptor carries a 15-bit picture ID (X=1, I=1, M=1): receivers use it to spot
/// whole lost frames, and Chromium's own sender always includes one. Frames are not split on
/// partition boundaries (PID stays 0), which RFC 7741 allows and decoders do not need.
public struct VP8Packetizer: Sendable {
    /// The largest RTP payload to produce, descriptor included.
    public var maxPayloadSize: Int
    /// The picture ID the next frame will carry; wraps at 2^15.
    public var pictureID: UInt16

    static let descriptorSize = 4

    public init(maxPayloadSize: Int = 1100, pictureID: UInt16 = 0) {
        // At least one byte of VP8 per packet, whatever the caller asks.
        self.maxPayloadSize = max(maxPayloadSize, Self.descriptorSize + 1)
        self.pictureID = pictureID & 0x7FFF
    }

    /// Payloads for one frame, in sending order; the caller sets the RTP marker bit on the
    /// last one and gives them all the frame's RTP timestamp. An empty frame yields none.
    public mutating func packetize(_ frame: ArraySlice<UInt8>) -> [[UInt8]] {
        guard !frame.isEmpty else { return [] }
        let capacity = max(1, maxPayloadSize - Self.descriptorSize)
        let packetCount = (frame.count + capacity - 1) / capacity
        // Equal sizes rather than full packets then a runt: the same packet count, and no
        // tiny last packet to be the odd one out in pacing and loss.
        let base = frame.count / packetCount
        let larger = frame.count % packetCount
        var payloads: [[UInt8]] = []
        payloads.reserveCapacity(packetCount)
        var start = frame.startIndex
        for index in 0..<packetCount {
            let size = base + (index < larger ? 1 : 0)
            var payload: [UInt8] = []
            payload.reserveCapacity(Self.descriptorSize + size)
            payload.append(index == 0 ? 0x90 : 0x80)  // X, and S on the first packet; PID 0
            payload.append(0x80)  // I
            payload.append(0x80 | UInt8(truncatingIfNeeded: pictureID >> 8))
            payload.append(UInt8(truncatingIfNeeded: pictureID))
            payload.append(contentsOf: frame[start..<start + size])
            payloads.append(payload)
            start += size
        }
        pictureID = (pictureID &+ 1) & 0x7FFF
        return payloads
    }
}
