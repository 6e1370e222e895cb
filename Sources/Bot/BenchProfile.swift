import Foundation
import MeetingKit

/// Splits the recorder's CPU into stages from a `perf` sampling profile of the running process.
///
/// perf samples the recorder's user and kernel time alike (`perf stat -e instructions true` works here, and
/// a process's own kernel stacks are visible at perf_event_paranoid 2). Samples are classed by library, by
/// kernel function, and by the module and type names inside each mangled Swift symbol.
enum Profiler {
    static let perf = "/usr/bin/perf"

    static func profile(pid: Int32, seconds: Double, folder: String, userSeconds: Double,
                        systemSeconds: Double) async -> ([BenchRun.Stage], String) {
        guard FileManager.default.isExecutableFile(atPath: perf) else { return ([], "perf not installed") }
        let data = (folder as NSString).appendingPathComponent("perf.data")
        let status = await CleanSpawn.run(perf, ["record", "-q", "-F", "499", "-p", "\(pid)", "-o", data, "--",
                                                 "sleep", "\(Int(seconds.rounded(.up)))"])
        guard status == 0 else { return ([], "perf record failed (status \(status))") }
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
        var stages = shares.map { name, percent in BenchRun.Stage(name: name, percent: percent / sampled * 100) }
        stages.sort { $0.percent > $1.percent }
        let systemShare = 100 * systemSeconds / max(userSeconds + systemSeconds, 1e-9)
        return (stages, "perf record -F 499 -p PID for \(Int(seconds)) s, user + kernel samples classed by symbol; "
            + "/proc says \(String(format: "%.0f", systemShare)) % of the window was system time")
    }

    /// The stage a sampled symbol belongs to, by library and by the Swift type names inside its mangled name.
    static func stage(dso: String, symbol: String) -> String {
        let contains = { (needles: [String]) in needles.contains { symbol.contains($0) } }
        if dso.contains("kernel") {
            if contains(["ext4", "block_", "page_cache", "filemap", "jbd2", "vfs_write", "generic_perform_write", "folio"]) {
                return "muxing + disk (WebM writer, files)"
            }
            if contains(["task_switch", "schedule", "futex", "spin_unlock", "wake", "switch_to", "idle"]) {
                return "kernel: scheduling, futex wake-ups"
            }
            return "socket (kernel UDP send/receive, epoll)"
        }
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
        if contains(["NIO", "6MeshIO", "epoll", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "__libc_recv", "__libc_send"]) {
            return "socket + event loop (NIO, libc)"
        }
        if contains(["$s4Mesh"]) { return "RTP/RTCP parse, ICE/DTLS/SCTP (Mesh core)" }
        if contains(["$s8Recorder"]) { return "RTP → frames (jitter buffer, depacketizer)" }
        if contains(["Meeting", "TileBroadcaster", "BotTile", "VP8Encoder", "Slate", "vp8", "vpx", "opus", "silk", "celt",
                     "$s3Bot", "$s4Tile"])
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

/// Spawns a program with no signals blocked or ignored, and waits for it without blocking a thread.
///
/// Children started from this process's worker threads inherit those threads' blocked signal mask; perf
/// then never sees SIGCHLD from its own `sleep` and waits forever. posix_spawn can reset both.
enum CleanSpawn {
    static func run(_ executable: String, _ arguments: [String]) async -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, nil, &attributes, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 { return -1 }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import: the low 7 bits are the signal, the next 8 the code.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }
}
