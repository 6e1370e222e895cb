import Mesh

/// Reads a codec's RTP payload format: what part of a frame one packet carries.
///
/// Depacketizers are stateless; ordering, loss and reassembly live in `FrameAssembler` and
/// `JitterBuffer`, so one codec's rules stay in one small file.
public protocol Depacketizer: Sendable {
    /// Whether frames depend on earlier ones, so that a loss must wait for a keyframe.
    var isVideo: Bool { get }

    /// The codec data and frame boundaries of one packet; throws on a malformed descriptor.
    /// Callers pass only packets with a non-empty payload (empty ones are padding).
    func fragment(of packet: RTPPacket) throws -> PayloadFragment

    /// Completes a frame assembled from more than one layer frame (`layerSizes` in order).
    func finishFrame(_ data: inout [UInt8], layerSizes: [Int])

    /// Whether a complete frame's own header is possible, so a decoder will not refuse it outright.
    /// A peer's packets are authenticated, not honest: a frame of random bytes must not reach a file.
    func isWellFormed(_ frame: [UInt8]) -> Bool
}

extension Depacketizer {
    public func finishFrame(_ data: inout [UInt8], layerSizes: [Int]) {}
    public func isWellFormed(_ frame: [UInt8]) -> Bool { true }
}

/// The codec data one packet contributes to a frame, and where it sits in that frame.
public struct PayloadFragment: Sendable, Equatable {
    /// Codec bytes after the payload descriptor, a view into the packet.
    public var data: ArraySlice<UInt8>
    public var isFrameStart: Bool
    public var isFrameEnd: Bool
    /// Starts one layer frame inside a multi-layer picture (VP9 B bit); same as
    /// `isFrameStart` for codecs without layers.
    public var startsLayerFrame: Bool
    /// Meaningful on the frame's first fragment only.
    public var isKeyframe: Bool
    public var width: Int?
    public var height: Int?

    public init(
        data: ArraySlice<UInt8>, isFrameStart: Bool, isFrameEnd: Bool, startsLayerFrame: Bool? = nil,
        isKeyframe: Bool = false, width: Int? = nil, height: Int? = nil
    ) {
        self.data = data
        self.isFrameStart = isFrameStart
        self.isFrameEnd = isFrameEnd
        self.startsLayerFrame = startsLayerFrame ?? isFrameStart
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
    }
}
