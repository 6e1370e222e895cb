/// Every target, by name: the parsers a peer or a server reaches, then the state machines behind them.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        STUNMessageTarget.target,
        SharedSocketTarget.target,
        SDPTarget.target,
        RTPPacketTarget.target,
        RTCPCompoundTarget.target,
        SRTPTarget.target,
        SCTPPacketTarget.target,
        DCEPTarget.target,
        DepacketizerTargets.vp8,
        DepacketizerTargets.vp9,
        DepacketizerTargets.opus,
        SignallingTarget.target,
        NewsFeedTarget.target,
        ControlLineTarget.target,
        RecordingRequestTarget.target,
        ServiceSettingsTarget.target,
        RoomURLTarget.target,
        WebMRepairTarget.target,
        JitterBufferTarget.target,
        ParticipantRecorderTarget.target,
        SCTPAssociationTarget.target,
        ConnectedPeerTarget.target,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
