/// One compressed video frame as the encoder produced it.
public struct EncodedFrame: Sendable, Equatable {
    public var data: [UInt8]
    public var isKeyframe: Bool
    /// The presentation time the frame was submitted with, in the encoder's 90 kHz units.
    public var pts: Int64

    public init(data: [UInt8], isKeyframe: Bool, pts: Int64) {
        self.data = data
        self.isKeyframe = isKeyframe
        self.pts = pts
    }
}
