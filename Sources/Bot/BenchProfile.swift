import Foundation

/// Splits the recorder's CPU into stages from a `perf` sampling profile of the running process.
///
/// perf here samples user space only (perf_event_paranoid 2 hides the kernel), so kernel time comes from
/// /proc instead: the system seconds of the measured window are the socket and file syscalls. User samples
/// are classed by the module and type names inside each (mangled Swift) symbol.
enum Profiler {
    static let perf = "/usr/bin/perf"

    static func profile(pid: Int32, seconds: Double, folder: String, userSeconds: Double,
                        systemSeconds: Double) async -> ([BenchRun.Stage], String) {
        guard FileManager.default.isExecutableFile(atPath: perf) else { return ([], "perf not installed") }
        let data = (folder as NSString).appendingPathComponent("perf.data")
        let record = await Task.detached {
            MediaTools.runTool(perf, ["record", "-q", "-F", "499", "-p", "\(pid)", "-o", data, "--", "sleep", "\(Int(seconds.rounded(.up)))"])
        }.value
        guard let record, record.status == 0 else { return ([], "perf record failed: \(record?.stderr.prefix(200) ?? "")") }
        guard let report = MediaTools.runTool(perf, ["report", "-i", data, "--no-children", "--sort", "dso,symbol",
                                                     "--stdio", "-q", "--percent-limit", "0.01"]),
              report.status == 0 else { return ([], "perf report failed") }
        try? report.stdout.write(toFile: (folder as NSString).appendingPathComponent("perf-report.txt"), atomically: true,
                                 encoding: .utf8)
        var shares: [String: Double] = [:]
        for line in report.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count == 4, fields[0].hasSuffix("%"), let percent = Double(fields[0].dropLast()) else { continue }
            shares[stage(dso: String(fields[1]), symbol: String(fields[3])), default: 0] += percent
        }
        let sampled = shares.values.reduce(0, +)
        guard sampled > 0 else { return ([], "perf recorded no samples") }
        let cpu = max(userSeconds + systemSeconds, 1e-9)
        var stages = shares.map { name, percent in
            BenchRun.Stage(name: name, percent: percent / sampled * userSeconds / cpu * 100)
        }
        stages.append(BenchRun.Stage(name: "kernel: socket and file syscalls (system time)", percent: systemSeconds / cpu * 100))
        stages.sort { $0.percent > $1.percent }
        return (stages, "perf record -F 499 user-space samples for \(Int(seconds)) s, classed by symbol; kernel share from /proc system time")
    }

    /// The stage a sampled symbol belongs to, by library and by the Swift type names inside its mangled name.
    static func stage(dso: String, symbol: String) -> String {
        let contains = { (needles: [String]) in needles.contains { symbol.contains($0) } }
        if dso.contains("srtp") || dso.contains("freebl") || dso.contains("nss") || dso.contains("softokn")
            || dso.contains("libcrypto") || contains(["SRTP", "srtp_", "aes_", "gcm"]) {
            return "SRTP (unprotect/protect)"
        }
        if contains(["WebM", "EBML", "AppendOnlyFile", "OpusHead", "Manifest"]) { return "muxing + disk (WebM writer, files)" }
        if contains(["Jitter", "FrameAssembler", "Depacketiz", "ParticipantRecorder", "RecordingTask", "MediaFrame"]) {
            return "RTP → frames (jitter buffer, depacketizer)"
        }
        if contains(["RTPPacket", "RTCP", "ReceiverStatistics", "TransportWide", "ReportBlock", "MediaRouting",
                     "RTPHeaderExtension", "SequenceNumber", "PeerConnection", "Demux", "ICE", "STUN", "DTLS", "SCTP",
                     "OutgoingTrack", "VP8Packetizer"]) {
            return "RTP/RTCP parse, ICE/DTLS/SCTP (Mesh core)"
        }
        if contains(["NIO", "epoll", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "__libc_recv", "__libc_send"]) {
            return "socket + event loop (NIO, libc)"
        }
        if contains(["Meeting", "TileBroadcaster", "BotTile", "VP8Encoder", "Slate", "vp8", "vpx", "opus", "silk", "celt"])
            || dso.contains("vpx") || dso.contains("opus") {
            return "meeting actor + own tile (encode, send)"
        }
        if dso.contains("swift_Concurrency") || dso.contains("dispatch") || contains(["swift_task", "swift_job"]) {
            return "Swift concurrency (tasks, streams)"
        }
        if dso.contains("libswiftCore") || dso.contains("libc") || dso.contains("Foundation") || contains(["malloc", "free", "swift_retain", "swift_release"]) {
            return "Swift runtime + libc (alloc, ARC, copies)"
        }
        return "other"
    }
}
