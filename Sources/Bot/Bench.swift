import ArgumentParser
import Foundation
import Logging
import MeetingKit
import NIOPosix
import Recorder
import RoomServer

/// `engage-bot bench`: the recorder in a process of its own against a crowd process of N replaying
/// participants on the embedded room, for several N; a table and a JSON file of what the recorder cost.
/// With `--recorder-cmd` (or `--compare-pion`) another recorder is measured the same way against the same
/// kind of crowd, after or before the bot at each count, and the two are printed side by side with ratios.
///
/// Not a test: timings depend on the machine and its load. Build with `-c release` before believing numbers.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the recorder against N replaying synthetic participants (CPU, memory, loss, join time)."
    )

    @Option(help: "Comma-separated participant counts.")
    var counts = "1,10,25,50"

    @Option(help: "Seconds of steady state measured per count, after everyone is connected.")
    var seconds = 30.0

    @Option(help: "Where the per-run folders, bench.json and bench.txt go.")
    var output = "bench-results"

    @Option(help: "Profile the recorder with perf at this count (default: the largest); 0: no profile.")
    var profileAt: Int?

    @Option(help: "Seconds of perf sampling, after the measured window.")
    var profileSeconds = 10.0

    @Option(help: "Log level of this process.")
    var logLevel = "warning"

    @Flag(help: "Run every count twice, the recorder with loss repair and with --no-loss-repair (which goes first alternates from count to count), and report the CPU ratio.")
    var compareLossRepair = false

    @Option(help: ArgumentHelp(
        "Another recorder to measure at every count beside the bot, a shell command template.",
        discussion: """
            Placeholders, replaced by shell-quoted values (do not quote them again): {url} the room's WebSocket URL; \
            {output} a folder for its files (it exists); {stats} where it must write JSON whose top-level \
            "packetsReceived" and "packetsLost" (sequence gaps) the bench reads after it exits. It must join the room \
            at once, record until SIGINT, then exit; the bench reads "first media packet N ms" lines from its standard \
            output and error, one per connection. It runs as `sh -c 'exec TEMPLATE'`, so the process measured is the \
            command itself. Which of the two goes first alternates from count to count. Example: \
            --recorder-cmd '/tmp/pion-recorder --ws {url} --output {output} --stats {stats}'
            """))
    var recorderCmd: String?

    @Option(help: "The other recorder's name in the tables (with --recorder-cmd).")
    var recorderLabel = "other"

    @Flag(help: "Build the reference Pion recorder (Tools/pion/build.sh, run from the package's folder) and measure it beside the bot, as --recorder-cmd does.")
    var comparePion = false

    @Flag(help: "With --recorder-cmd or --compare-pion: measure only the other recorder, not the bot.")
    var noBot = false

    @Flag(help: "Keep every run's recorded media; by default a run deletes them once it has counted them (about 1 GB per 100 participant-minutes), keeping logs, manifests and stats.")
    var keepRecordings = false

    @Flag(help: "Start the crowd first and the recorder once everyone is in the room, so that the recorder answers all N offers at once (first media then counts from each offer); default: the recorder first, offering to each joiner.")
    var recorderJoinsLast = false

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let participantCounts = counts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            .filter { $0 > 0 }
        guard !participantCounts.isEmpty else { throw ValidationError("--counts needs positive integers, e.g. 1,10,25,50") }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let profiled = profileAt ?? participantCounts.max() ?? 0
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let other = try otherRecorder()
        if compareLossRepair, other != nil {
            throw ValidationError("--compare-loss-repair compares the bot with itself: leave out --recorder-cmd and --compare-pion")
        }
        if noBot, other == nil { throw ValidationError("--no-bot needs --recorder-cmd or --compare-pion") }
        var results: [BenchRun.Result] = []
        if let other {
            results = try await compareRecorders(other, counts: participantCounts, executable: executable, profiled: profiled,
                                                 logger: logger)
        }
        for (position, count) in participantCounts.enumerated() where other == nil {
            // Alternating which goes first keeps a drift of the machine's load from passing for a cost: give a
            // count twice (--counts 25,25) to have it measured in both orders.
            let variants = !compareLossRepair ? [true] : position.isMultiple(of: 2) ? [true, false] : [false, true]
            for lossRepair in variants {
                let variant = lossRepair ? "" : " without loss repair"
                print("· N = \(count)\(variant): starting")
                let name = compareLossRepair ? "n-\(count)-\(position)-repair-\(lossRepair ? "on" : "off")" : "n-\(count)"
                let run = BenchRun(executable: executable, participants: count, seconds: seconds,
                                   folder: (output as NSString).appendingPathComponent(name),
                                   profileSeconds: count == profiled && lossRepair ? profileSeconds : 0, lossRepair: lossRepair,
                                   recorderJoinsLast: recorderJoinsLast, keepsRecordings: keepRecordings)
                let result = try await run.run(logger: logger)
                results.append(result)
                print("· N = \(count)\(variant): \(result.summaryLine)")
            }
        }
        var table = BenchRun.Result.table(results)
        if compareLossRepair { table += "\n" + BenchRun.Result.lossRepairRatios(results) }
        if let other, !noBot { table += "\n\n" + BenchRun.Result.recorderRatios(results, other: other.label) }
        print(table)
        for result in results where !result.stages.isEmpty {
            print("\nCPU by stage at N = \(result.participants) (\(result.profileMethod)):")
            for stage in result.stages { print("  \(stage.name): \(String(format: "%.1f", stage.percent)) %") }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(BenchReport(machine: BenchReport.machineDescription(), seconds: seconds, runs: results))
        try json.write(to: URL(fileURLWithPath: (output as NSString).appendingPathComponent("bench.json")))
        try table.write(toFile: (output as NSString).appendingPathComponent("bench.txt"), atomically: true, encoding: .utf8)
        print("written: \(output)/bench.json, \(output)/bench.txt")
    }

    /// The recorder set beside the bot: a name for the table and its command template.
    struct OtherRecorder {
        var label: String
        var template: String
    }

    private func otherRecorder() throws -> OtherRecorder? {
        if comparePion {
            guard recorderCmd == nil else { throw ValidationError("give --compare-pion or --recorder-cmd, not both") }
            let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tools/pion/build.sh").path
            guard FileManager.default.fileExists(atPath: script) else {
                throw ValidationError("--compare-pion builds Tools/pion/recorder: run the bench from the package's folder (\(script) is not there)")
            }
            let binary = URL(fileURLWithPath: output).appendingPathComponent("pion-recorder").standardizedFileURL.path
            print("· building the Pion recorder: Tools/pion/build.sh \(binary) recorder")
            guard let build = MediaTools.runTool("/bin/bash", [script, binary, "recorder"]), build.status == 0,
                  FileManager.default.isExecutableFile(atPath: binary) else {
                throw ValidationError("Tools/pion/build.sh failed (scripts/setup.sh installs Go and Debian's Pion packages)")
            }
            return OtherRecorder(label: "pion", template: "\(BenchRun.shellQuoted(binary)) --ws {url} --output {output} --stats {stats}")
        }
        guard !recorderLabel.isEmpty, recorderLabel != "bot" else { throw ValidationError("--recorder-label cannot be empty or \"bot\"") }
        return recorderCmd.map { OtherRecorder(label: recorderLabel, template: $0) }
    }

    /// Each count: the bot and the other recorder one after the other against the same kind of crowd, the
    /// order alternating from count to count so that a drift of the machine's load does not pass for a cost.
    private func compareRecorders(_ other: OtherRecorder, counts: [Int], executable: String, profiled: Int,
                                  logger: Logger) async throws -> [BenchRun.Result] {
        var results: [BenchRun.Result] = []
        for (position, count) in counts.enumerated() {
            let botFirst = position.isMultiple(of: 2)
            let order: [OtherRecorder?] = noBot ? [other] : botFirst ? [nil, other] : [other, nil]
            for recorder in order {
                let label = recorder?.label ?? "bot"
                let folderName = recorder == nil ? "bot" : "other-" + String(label.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.prefix(20))
                print("· N = \(count), \(label): starting")
                let run = BenchRun(executable: executable, participants: count, seconds: seconds,
                                   folder: (output as NSString).appendingPathComponent("n-\(count)-\(position)-\(folderName)"),
                                   profileSeconds: count == profiled && recorder == nil ? profileSeconds : 0,
                                   otherRecorder: recorder, recorderJoinsLast: recorderJoinsLast,
                                   keepsRecordings: keepRecordings)
                let result = try await run.run(logger: logger)
                results.append(result)
                print("· N = \(count), \(label): \(result.summaryLine)")
            }
        }
        return results
    }
}

struct BenchReport: Codable {
    var machine: String
    var seconds: Double
    var runs: [BenchRun.Result]

    static func machineDescription() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return "\(cores) cores, \(model)"
    }
}

/// One N: room, recorder process, crowd process, measurements, teardown.
struct BenchRun {
    let executable: String
    let participants: Int
    let seconds: Double
    let folder: String
    let profileSeconds: Double
    /// False: the recorder runs with `--no-loss-repair` (no NACK, no RTX), to see what repair costs.
    var lossRepair = true
    /// Another recorder measured in the bot's place (`--recorder-cmd`).
    var otherRecorder: BenchCommand.OtherRecorder? = nil
    /// The crowd joins first; the recorder then answers every participant's offer at once.
    var recorderJoinsLast = false
    /// False: the run's media files are deleted once counted, so repeated benches do not fill the disk.
    var keepsRecordings = false

    struct Stage: Codable {
        var name: String
        var percent: Double
    }

    struct Result: Codable {
        var participants: Int
        /// "bot", or the other recorder's label ("pion", "other").
        var recorder: String
        var lossRepair: Bool
        var connected: Int
        var windowSeconds: Double
        var recorderCPUSecondsWindow: Double
        var recorderUserSecondsWindow: Double
        var recorderSystemSecondsWindow: Double
        var recorderCPUSecondsTotal: Double
        var cpuPercentOfOneCore: Double
        var cpuPercentPerParticipant: Double
        var packetsReceived: Int
        var packetsLost: Int
        var kernelDrops: Int
        var microsecondsPerPacket: Double
        var peakRSSMiB: Double
        var rssPerParticipantMiB: Double
        /// The process's own memory at the end of the run (`RssAnon`: heap, stacks), without the pages of its
        /// executable and libraries that RSS also counts (shared with any process mapping the same files).
        var anonymousMiB: Double
        var firstMediaMilliseconds: [Int]
        /// From SIGINT to the recorder's exit: every goodbye sent, every file finalized.
        var leaveMilliseconds: Int
        var crowdCPUPercentOfOneCore: Double
        var stages: [Stage]
        var profileMethod: String

        var cpuSecondsPerParticipantMinute: Double { cpuPercentPerParticipant * 60 / 100 }

        var medianFirstMedia: Int {
            let sorted = firstMediaMilliseconds.sorted()
            return sorted.isEmpty ? -1 : sorted[sorted.count / 2]
        }

        var summaryLine: String {
            "\(connected)/\(participants) connected, recorder \(String(format: "%.1f", cpuPercentOfOneCore)) % of a core, "
                + "\(String(format: "%.1f", microsecondsPerPacket)) µs/packet, \(packetsLost) lost, \(kernelDrops) kernel drops, "
                + "peak RSS \(String(format: "%.0f", peakRSSMiB)) MiB (own \(String(format: "%.0f", anonymousMiB)))"
        }

        /// Per pair of runs (one count measured both ways, one after the other): the recorder's CPU per
        /// participant with loss repair over without.
        static func lossRepairRatios(_ results: [Result]) -> String {
            var lines: [String] = []
            for start in stride(from: 0, to: results.count - 1, by: 2) {
                let pair = results[start...(start + 1)]
                guard let with = pair.first(where: \.lossRepair), let without = pair.first(where: { !$0.lossRepair }),
                      with.participants == without.participants, without.cpuPercentPerParticipant > 0 else { continue }
                let perMinute = \Result.cpuSecondsPerParticipantMinute
                let order = pair.first?.lossRepair == true ? "repair first" : "repair second"
                lines.append("N = \(with.participants) (\(order)): CPU per participant-minute \(String(format: "%.3f", with[keyPath: perMinute])) s with loss "
                    + "repair, \(String(format: "%.3f", without[keyPath: perMinute])) s without: ratio "
                    + String(format: "%.3f", with.cpuPercentPerParticipant / without.cpuPercentPerParticipant))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// Per count, the bot beside the other recorder measured next to it: each figure for both, and bot / other.
        static func recorderRatios(_ results: [Result], other: String) -> String {
            let header = ["N", "first", "CPU s/part-min bot", other, "ratio", "µs/pkt bot", other, "ratio", "peak RSS MiB bot", other,
                          "ratio", "own MiB bot", other, "ratio", "lost bot", other, "kdrops bot", other, "1st media med bot", other, "ratio", "1st media max bot",
                          other, "ratio", "leave ms bot", other, "ratio"]
            func ratio(_ bot: Double, _ other: Double) -> String { other > 0 && bot >= 0 ? String(format: "%.2f", bot / other) : "-" }
            var rows: [[String]] = []
            for start in stride(from: 0, to: results.count - 1, by: 2) {
                let pair = results[start...(start + 1)]
                guard let bot = pair.first(where: { $0.recorder == "bot" }), let them = pair.first(where: { $0.recorder != "bot" }),
                      bot.participants == them.participants else { continue }
                let botMax = bot.firstMediaMilliseconds.max() ?? -1, themMax = them.firstMediaMilliseconds.max() ?? -1
                rows.append([
                    "\(bot.participants)", pair.first?.recorder ?? "?",
                    String(format: "%.3f", bot.cpuSecondsPerParticipantMinute), String(format: "%.3f", them.cpuSecondsPerParticipantMinute),
                    ratio(bot.cpuSecondsPerParticipantMinute, them.cpuSecondsPerParticipantMinute),
                    String(format: "%.1f", bot.microsecondsPerPacket), String(format: "%.1f", them.microsecondsPerPacket),
                    ratio(bot.microsecondsPerPacket, them.microsecondsPerPacket),
                    String(format: "%.1f", bot.peakRSSMiB), String(format: "%.1f", them.peakRSSMiB), ratio(bot.peakRSSMiB, them.peakRSSMiB),
                    String(format: "%.1f", bot.anonymousMiB), String(format: "%.1f", them.anonymousMiB), ratio(bot.anonymousMiB, them.anonymousMiB),
                    "\(bot.packetsLost)", "\(them.packetsLost)", "\(bot.kernelDrops)", "\(them.kernelDrops)",
                    "\(bot.medianFirstMedia)", "\(them.medianFirstMedia)", ratio(Double(bot.medianFirstMedia), Double(them.medianFirstMedia)),
                    "\(botMax)", "\(themMax)", ratio(Double(botMax), Double(themMax)),
                    "\(bot.leaveMilliseconds)", "\(them.leaveMilliseconds)",
                    ratio(Double(bot.leaveMilliseconds), Double(them.leaveMilliseconds)),
                ])
            }
            return "bot beside \(other), ratios bot / \(other):\n" + TextTable.render(header: header, rows: rows)
        }

        static func table(_ results: [Result]) -> String {
            let header = ["N", "recorder", "repair", "conn", "rec CPU s", "% core", "% core/part", "CPU s/part-min", "Δ% core/part", "µs/pkt",
                          "packets", "lost",
                          "kdrops", "peak RSS MiB", "RSS/part MiB", "ΔRSS/part MiB", "own MiB", "1st media ms med/max", "leave ms",
                          "crowd % core"]
            // Marginal costs against the smallest N take out what the recorder spends with nobody there
            // (its own tile, timers, the runtime's footprint).
            let rows = results.map { r in
                let base = results.filter { $0.lossRepair == r.lossRepair && $0.recorder == r.recorder }
                    .min { $0.participants < $1.participants }
                let extra = Double(r.participants - (base?.participants ?? 0))
                let marginalCPU = extra > 0 ? (r.cpuPercentOfOneCore - (base?.cpuPercentOfOneCore ?? 0)) / extra : nil
                let marginalRSS = extra > 0 ? (r.peakRSSMiB - (base?.peakRSSMiB ?? 0)) / extra : nil
                return [
                    "\(r.participants)", r.recorder, r.recorder == "bot" ? (r.lossRepair ? "on" : "off") : "-", "\(r.connected)",
                    String(format: "%.2f", r.recorderCPUSecondsWindow),
                    String(format: "%.1f", r.cpuPercentOfOneCore), String(format: "%.2f", r.cpuPercentPerParticipant),
                    String(format: "%.3f", r.cpuSecondsPerParticipantMinute),
                    marginalCPU.map { String(format: "%.2f", $0) } ?? "-",
                    String(format: "%.1f", r.microsecondsPerPacket), "\(r.packetsReceived)", "\(r.packetsLost)",
                    "\(r.kernelDrops)", String(format: "%.1f", r.peakRSSMiB), String(format: "%.2f", r.rssPerParticipantMiB),
                    marginalRSS.map { String(format: "%.2f", $0) } ?? "-", String(format: "%.1f", r.anonymousMiB),
                    "\(r.medianFirstMedia)/\(r.firstMediaMilliseconds.max() ?? -1)", "\(r.leaveMilliseconds)",
                    String(format: "%.1f", r.crowdCPUPercentOfOneCore),
                ]
            }
            return TextTable.render(header: header, rows: rows)
        }
    }

    func run(logger: Logger) async throws -> Result {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = try await RoomServer.start(
            configuration: RoomServerConfiguration(host: "127.0.0.1", port: 0), group: MultiThreadedEventLoopGroup.singleton,
            logger: logger)
        let url = "ws://127.0.0.1:\(server.port)/bench"
        let recorderLog = (folder as NSString).appendingPathComponent("recorder.log")
        let otherOutput = (folder as NSString).appendingPathComponent("recording")
        let otherStats = (folder as NSString).appendingPathComponent("recorder-stats.json")
        let settle = 10.0 + Double(participants) * 0.3
        let crowdSeconds = settle + seconds + profileSeconds + 15 + (recorderJoinsLast ? Self.crowdJoinSeconds(participants) : 0)
        func startCrowd() throws -> BenchProcess {
            try BenchProcess.spawn(executable, [
                "crowd", url, "--participants", "\(participants)", "--replay", "--no-chat",
                "--seconds", "\(Int(crowdSeconds))", "--log-level", "notice",
            ], log: (folder as NSString).appendingPathComponent("crowd.log"))
        }
        var early: BenchProcess?
        if recorderJoinsLast {
            early = try startCrowd()
            try await Task.sleep(for: .milliseconds(Int64(Self.crowdJoinSeconds(participants) * 1000)))
        }
        let recorder: BenchProcess
        if let otherRecorder {
            try FileManager.default.createDirectory(atPath: otherOutput, withIntermediateDirectories: true)
            let command = otherRecorder.template.replacingOccurrences(of: "{url}", with: Self.shellQuoted(url))
                .replacingOccurrences(of: "{output}", with: Self.shellQuoted(otherOutput))
                .replacingOccurrences(of: "{stats}", with: Self.shellQuoted(otherStats))
            try command.write(toFile: (folder as NSString).appendingPathComponent("recorder-command.txt"), atomically: true, encoding: .utf8)
            recorder = try BenchProcess.spawn("/bin/sh", ["-c", "exec " + command], log: recorderLog)
        } else {
            recorder = try BenchProcess.spawn(
                executable, ["join", url, "--name", "recorder", "--output", folder] + (lossRepair ? [] : ["--no-loss-repair"]),
                log: recorderLog)
        }
        let crowd: BenchProcess
        if let early {
            crowd = early
        } else {
            try await Task.sleep(for: .milliseconds(1500))
            crowd = try startCrowd()
        }

        // Steady state starts once every participant's media reached the recorder (or the settle time ran out).
        let settleEnd = ContinuousClock.now + .milliseconds(Int64(settle * 1000))
        while ContinuousClock.now < settleEnd, firstMedia(recorderLog).count < participants {
            try await Task.sleep(for: .milliseconds(250))
        }
        try await Task.sleep(for: .seconds(1))
        let cpu0 = ProcFS.cpu(recorder.pid), crowd0 = ProcFS.cpu(crowd.pid)
        let started = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let cpu1 = ProcFS.cpu(recorder.pid), crowd1 = ProcFS.cpu(crowd.pid)
        let window = (ContinuousClock.now - started).secondsValue

        var stages: [Stage] = []
        var method = "none"
        if profileSeconds > 0 {
            (stages, method) = await Profiler.profile(pid: recorder.pid, seconds: profileSeconds, folder: folder,
                                                      userSeconds: cpu1.user - cpu0.user, systemSeconds: cpu1.system - cpu0.system)
        }
        let memory = ProcFS.memory(recorder.pid)
        let drops = ProcFS.udpDrops(recorder.pid)
        let total = ProcFS.cpu(recorder.pid)
        let leaving = ContinuousClock.now
        recorder.interrupt()
        await recorder.wait(timeout: .seconds(20))
        let leaveMilliseconds = Int((ContinuousClock.now - leaving).milliseconds)  // 20,000: killed, it overstayed
        crowd.interrupt()
        await crowd.wait(timeout: .seconds(20))
        try? await server.shutdown()

        let counts = otherRecorder == nil ? manifestCounts() : Self.statsCounts(otherStats)
        if !keepsRecordings { Self.removeMedia(under: folder) }
        if otherRecorder != nil, counts == nil {
            print("· the other recorder wrote no readable \(otherStats) (top-level packetsReceived and packetsLost): packets count as 0")
        }
        let windowCPU = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        let media = firstMedia(recorderLog)
        return Result(
            participants: participants, recorder: otherRecorder?.label ?? "bot", lossRepair: lossRepair, connected: media.count,
            windowSeconds: window,
            recorderCPUSecondsWindow: windowCPU, recorderUserSecondsWindow: cpu1.user - cpu0.user,
            recorderSystemSecondsWindow: cpu1.system - cpu0.system, recorderCPUSecondsTotal: total.user + total.system,
            cpuPercentOfOneCore: 100 * windowCPU / window, cpuPercentPerParticipant: 100 * windowCPU / window / Double(participants),
            packetsReceived: counts?.received ?? 0, packetsLost: counts?.lost ?? 0, kernelDrops: drops,
            microsecondsPerPacket: (counts?.received ?? 0) > 0 ? 1e6 * (total.user + total.system) / Double(counts?.received ?? 1) : 0,
            peakRSSMiB: Double(memory.peakKilobytes) / 1024,
            rssPerParticipantMiB: Double(memory.peakKilobytes) / 1024 / Double(participants),
            anonymousMiB: Double(memory.anonymousKilobytes) / 1024,
            firstMediaMilliseconds: media, leaveMilliseconds: leaveMilliseconds,
            crowdCPUPercentOfOneCore: 100 * ((crowd1.user + crowd1.system) - (crowd0.user + crowd0.system)) / window,
            stages: stages, profileMethod: method)
    }

    /// Long enough for the whole crowd to be in the room before the recorder joins: the crowd's joins are
    /// 100 ms apart, and replay encoding and the room handshake take a few seconds.
    static func crowdJoinSeconds(_ participants: Int) -> Double { 5 + Double(participants) * 0.1 }

    /// "first media packet X ms after the connection began", one per connection, from the recorder's log.
    private func firstMedia(_ log: String) -> [Int] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "first media packet ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// The media files any recorder writes here (WebM, IVF, Ogg, Matroska); logs, manifests and stats stay.
    static func removeMedia(under folder: String) {
        let mediaExtensions: Set<String> = ["webm", "ivf", "ogg", "mkv"]
        let walker = FileManager.default.enumerator(atPath: folder)
        while let entry = walker?.nextObject() as? String {
            guard mediaExtensions.contains((entry as NSString).pathExtension.lowercased()) else { continue }
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
    }

    /// Single quotes around a value for `sh`, each quote inside closed, escaped and reopened.
    static func shellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The other recorder's totals from its stats file: nil when it is missing or not the expected JSON.
    static func statsCounts(_ path: String) -> (received: Int, lost: Int)? {
        struct Totals: Decodable {
            var packetsReceived: Int
            var packetsLost: Int
        }
        guard let data = FileManager.default.contents(atPath: path),
              let totals = try? JSONDecoder().decode(Totals.self, from: data) else { return nil }
        return (totals.packetsReceived, totals.packetsLost)
    }

    /// Packets received and lost (sequence gaps) over every track of the recorder's final manifest.
    private func manifestCounts() -> (received: Int, lost: Int)? {
        var received = 0, lost = 0
        let walker = FileManager.default.enumerator(atPath: folder)
        while let entry = walker?.nextObject() as? String {
            guard entry.hasSuffix("manifest.json") else { continue }
            let path = (folder as NSString).appendingPathComponent(entry)
            guard let data = FileManager.default.contents(atPath: path),
                  let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { continue }
            for track in manifest.connections.flatMap(\.tracks) {
                received += track.packetsReceived
                lost += track.packetsLost
            }
        }
        return (received, lost)
    }
}

/// A child process whose standard error (the bot's log) goes to a file.
struct BenchProcess {
    let process: Process
    var pid: Int32 { process.processIdentifier }

    static func spawn(_ executable: String, _ arguments: [String], log: String) throws -> BenchProcess {
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw ValidationError("cannot create the log file \(log)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        return BenchProcess(process: process)
    }

    func interrupt() { if process.isRunning { process.interrupt() } }

    /// Waits for the exit; kills the process if it overstays `timeout`.
    func wait(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

/// What Linux says about a process: CPU time, memory high-water mark, and its UDP sockets' drops.
enum ProcFS {
    static func cpu(_ pid: Int32) -> (user: Double, system: Double) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return (0, 0) }
        // Fields after "(comm)": state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return (0, 0) }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user / ticks, system / ticks)
    }

    static func memory(_ pid: Int32) -> (peakKilobytes: Int, currentKilobytes: Int, anonymousKilobytes: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0, 0) }
        func value(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (value("VmHWM:"), value("VmRSS:"), value("RssAnon:"))
    }

    /// The drops column of /proc/net/udp{,6} summed over the sockets this process holds.
    static func udpDrops(_ pid: Int32) -> Int {
        let fdFolder = "/proc/\(pid)/fd"
        var inodes: Set<Substring> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: fdFolder)) ?? [] {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdFolder)/\(entry)"),
                  target.hasPrefix("socket:[") else { continue }
            inodes.insert(Substring(target.dropFirst(8).dropLast()))
        }
        var drops = 0
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                guard fields.count >= 13, inodes.contains(fields[9]), let value = Int(fields[fields.count - 1]) else { continue }
                drops += value
            }
        }
        return drops
    }
}
