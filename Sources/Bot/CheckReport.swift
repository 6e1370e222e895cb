import Foundation
import MeetingKit

/// What `engage-bot check` found: pure data and its three renderings (table, JSON, JUnit XML).
///
/// Kept free of I/O and clocks so that the writers can be unit-tested and the JUnit output
/// validated against a schema without a room.
struct CheckReport: Codable, Equatable, Sendable {
    /// One probed step: a room step (`websocket`, `joined`, `echo`, `participants`) or a stage of a
    /// participant's connection (`CheckStage`).
    struct Step: Codable, Equatable, Sendable {
        enum Status: String, Codable, Sendable { case passed, failed, skipped }
        var name: String
        var status: Status
        /// When it passed (or was found failed), from the start of its connection (participants) or of
        /// the check (room); nil when skipped.
        var milliseconds: Int64?
        /// Passed: what was seen. Failed: what was expected and what happened instead. Skipped: why.
        var detail: String
    }

    struct Participant: Codable, Equatable, Sendable {
        /// The name the participant chose, made unique in this report ("alice (screen)", "bob #2").
        var name: String
        /// The name exactly as the room sent it (free text).
        var peer: String
        /// The room's channel name for that participant: the one stable identity the protocol gives.
        var channel: String
        /// camera or screen.
        var connection: String
        /// The bot's role on this connection: offerer (they joined after the bot) or answerer.
        var role: String
        var steps: [Step]

        var passed: Bool { steps.allSatisfy { $0.status != .failed } }
    }

    enum Mode: String, Codable, Sendable {
        /// Join and probe every connection.
        case mesh
        /// `--room-only`: the signalling server alone.
        case roomOnly = "room-only"
    }

    var tool = "engage-bot check"
    var mode: Mode
    var url: String
    var botName: String
    /// ISO 8601, wall clock.
    var startedAt: String
    var elapsedMilliseconds: Int64 = 0
    var expected: Int
    var room: [Step] = []
    var participants: [Participant] = []

    var passed: Bool { exitStatus == 0 }

    /// The exit status this report stands for; see `Check`'s discussion.
    var exitStatus: Int32 {
        if room.contains(where: { $0.status == .failed && CheckReport.signallingSteps.contains($0.name) }) {
            return CheckReport.roomUnreachable
        }
        if room.contains(where: { $0.status == .failed }) || participants.contains(where: { !$0.passed }) {
            return CheckReport.participantFailed
        }
        return 0
    }

    /// Exit status: the room's WebSocket could not be opened (connect, upgrade), did not echo, or was lost.
    static let roomUnreachable: Int32 = 3
    /// Exit status: a participant failed a stage, or fewer than `--expect` showed up.
    static let participantFailed: Int32 = 4
    /// The room steps whose failure means the signalling server itself is the problem.
    static let signallingSteps: Set<String> = ["websocket", "joined", "echo", "signalling"]
}

// MARK: - Table

extension CheckReport {
    /// A participant × stage grid for a terminal or a CI log, then every failure spelled out.
    func table() -> String {
        var lines: [String] = []
        let verdict = passed ? "PASSED" : "FAILED (exit \(exitStatus))"
        lines.append("engage-bot check \(url): \(verdict) in \(CheckReport.seconds(elapsedMilliseconds)) s")
        for step in room {
            lines.append("  room \(step.name): \(CheckReport.cell(step)) \(CheckReport.terminalSafe(step.detail))")
        }
        if !participants.isEmpty {
            let stages = participants.flatMap { $0.steps.map(\.name) }.reduce(into: [String]()) { names, name in
                if !names.contains(name) { names.append(name) }
            }
            let nameWidth = min(max(participants.map { $0.name.count }.max() ?? 0, "participant".count), 32)
            let roleWidth = "answerer".count
            let cells = participants.map { participant in
                stages.map { stage in participant.steps.first { $0.name == stage }.map(CheckReport.cell) ?? "-" }
            }
            // Each column as wide as its widest cell, so that no time is cut.
            let widths = stages.indices.map { index in
                max(stages[index].count, cells.map { $0[index].count }.max() ?? 0)
            }
            var header = CheckReport.padded("participant", nameWidth) + "  " + CheckReport.padded("role", roleWidth)
            for (stage, width) in zip(stages, widths) { header += "  " + CheckReport.padded(stage, width) }
            lines.append("")
            lines.append(header)
            lines.append(String(repeating: "-", count: header.count))
            for (participant, row) in zip(participants, cells) {
                var line = CheckReport.padded(participant.name, nameWidth) + "  " + CheckReport.padded(participant.role, roleWidth)
                for (text, width) in zip(row, widths) { line += "  " + CheckReport.padded(text, width) }
                lines.append(String(line.reversed().drop { $0 == " " }.reversed()))
            }
        } else if mode == .mesh {
            lines.append("  no participant met")
        }
        let failures = participants.flatMap { participant in
            participant.steps.filter { $0.status == .failed }.map { (participant.name, $0) }
        }
        if !failures.isEmpty {
            lines.append("")
            for (name, step) in failures {
                lines.append("FAIL \(CheckReport.terminalSafe(name)) \(step.name): \(CheckReport.terminalSafe(step.detail))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cell(_ step: Step) -> String {
        switch step.status {
        case .passed: "ok" + (step.milliseconds.map { " \($0)ms" } ?? "")
        case .failed: "FAIL" + (step.milliseconds.map { " \($0)ms" } ?? "")
        case .skipped: "skip"
        }
    }

    /// Pads or cuts to `width` characters, so that a long free-text name cannot break the grid.
    private static func padded(_ text: String, _ width: Int) -> String {
        let safe = terminalSafe(text)
        if safe.count > width { return String(safe.prefix(width - 1)) + "…" }
        return safe + String(repeating: " ", count: width - safe.count)
    }

    /// Free text (participants' names, peers' error strings) without control characters, which could
    /// move the cursor or break the grid on a terminal or in a CI log.
    static func terminalSafe(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            if category == .control || category == .format || category == .lineSeparator || category == .paragraphSeparator {
                result += scalar == "\n" || scalar == "\t" ? " " : "?"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func seconds(_ milliseconds: Int64) -> String {
        String(format: "%.3f", Double(milliseconds) / 1000)
    }
}

// MARK: - JSON

extension CheckReport {
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    enum CodingKeys: String, CodingKey {
        case tool, mode, url, botName, startedAt, elapsedMilliseconds, expected, room, participants
        // Written only: the verdict a CI script reads first.
        case passed, exitStatus
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tool = try container.decode(String.self, forKey: .tool)
        mode = try container.decode(Mode.self, forKey: .mode)
        url = try container.decode(String.self, forKey: .url)
        botName = try container.decode(String.self, forKey: .botName)
        startedAt = try container.decode(String.self, forKey: .startedAt)
        elapsedMilliseconds = try container.decode(Int64.self, forKey: .elapsedMilliseconds)
        expected = try container.decode(Int.self, forKey: .expected)
        room = try container.decode([Step].self, forKey: .room)
        participants = try container.decode([Participant].self, forKey: .participants)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tool, forKey: .tool)
        try container.encode(mode, forKey: .mode)
        try container.encode(url, forKey: .url)
        try container.encode(botName, forKey: .botName)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(elapsedMilliseconds, forKey: .elapsedMilliseconds)
        try container.encode(expected, forKey: .expected)
        try container.encode(room, forKey: .room)
        try container.encode(participants, forKey: .participants)
        try container.encode(passed, forKey: .passed)
        try container.encode(exitStatus, forKey: .exitStatus)
    }
}

// MARK: - JUnit XML

extension CheckReport {
    /// JUnit XML as CI systems read it: `<testsuites>`, a `room` suite, then one suite per participant
    /// with a test case per stage; times in seconds.
    func junitXML() -> String {
        var suites: [(name: String, steps: [Step], properties: [(String, String)])] = [
            ("room", room, [("url", url), ("mode", mode.rawValue), ("bot", botName), ("expected", "\(expected)")]),
        ]
        for participant in participants {
            suites.append((participant.name, participant.steps,
                           [("peer", participant.peer), ("channel", participant.channel),
                            ("connection", participant.connection), ("role", participant.role)]))
        }
        let allSteps = suites.flatMap(\.steps)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"engage-bot check\" tests=\"\(allSteps.count)\""
        xml += " failures=\"\(allSteps.filter { $0.status == .failed }.count)\" errors=\"0\""
        xml += " time=\"\(CheckReport.seconds(elapsedMilliseconds))\">\n"
        for suite in suites {
            let failures = suite.steps.filter { $0.status == .failed }.count
            let skipped = suite.steps.filter { $0.status == .skipped }.count
            let time = suite.steps.compactMap(\.milliseconds).max() ?? 0
            xml += "  <testsuite name=\"\(CheckReport.xmlEscaped(suite.name))\" tests=\"\(suite.steps.count)\""
            xml += " failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
            xml += " time=\"\(CheckReport.seconds(time))\" timestamp=\"\(CheckReport.xmlEscaped(startedAt))\">\n"
            xml += "    <properties>\n"
            for (name, value) in suite.properties {
                xml += "      <property name=\"\(name)\" value=\"\(CheckReport.xmlEscaped(value))\"/>\n"
            }
            xml += "    </properties>\n"
            let classname = CheckReport.xmlEscaped(suite.name == "room" ? "check.room" : "check.participant.\(suite.name)")
            for step in suite.steps {
                xml += "    <testcase classname=\"\(classname)\" name=\"\(CheckReport.xmlEscaped(step.name))\""
                xml += " time=\"\(CheckReport.seconds(step.milliseconds ?? 0))\""
                let detail = CheckReport.xmlEscaped(step.detail)
                switch step.status {
                case .passed:
                    xml += ">\n      <system-out>\(detail)</system-out>\n    </testcase>\n"
                case .failed:
                    xml += ">\n      <failure message=\"\(detail)\" type=\"\(CheckReport.xmlEscaped(step.name))\">\(detail)</failure>\n"
                    xml += "    </testcase>\n"
                case .skipped:
                    xml += ">\n      <skipped message=\"\(detail)\"/>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    /// Escapes for both text and attribute values, and replaces what XML 1.0 cannot carry at all
    /// (most control characters, lone surrogates cannot occur in a Swift String): names are free text.
    static func xmlEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            // Kept, but as references: a raw newline in an attribute would be normalized to a space.
            case "\n": result += "&#10;"
            case "\r": result += "&#13;"
            case "\t": result += "&#9;"
            default:
                let value = scalar.value
                let allowed = (value >= 0x20 && value <= 0xD7FF) || (value >= 0xE000 && value <= 0xFFFD)
                    || (value >= 0x10000 && value <= 0x10FFFF)
                if allowed { result.unicodeScalars.append(scalar) } else { result += "\u{FFFD}" }
            }
        }
        return result
    }
}
