import Foundation
import Testing
@testable import Mesh

@Suite struct ICECandidateTests {
    static func fixtureCandidateLines() throws -> [String] {
        let names = ["chromium-156-offer", "chromium-156-answer", "aiortc-1.16-offer", "aiortc-1.16-answer"]
        var lines: [String] = []
        for name in names {
            let url = try #require(Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures"))
            let text = try String(contentsOf: url, encoding: .utf8)
            lines += text.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("a=candidate:") }
        }
        return lines
    }

    @Test func fixtureLinesRoundTrip() throws {
        let lines = try Self.fixtureCandidateLines()
        #expect(lines.count >= 10)
        for line in lines {
            let candidate = try ICECandidate(parsing: line)
            #expect("a=candidate:" + candidate.sdpValue == line)
            #expect(try ICECandidate(parsing: candidate.sdpValue) == candidate)
            // The attribute value starts at the foundation; the browser API's form adds `candidate:`.
            #expect(!candidate.sdpValue.hasPrefix("candidate:"))
            #expect(candidate.description == line.dropFirst(2))
        }
    }

    @Test func chromiumHostCandidate() throws {
        let candidate = try ICECandidate(parsing:
            "a=candidate:106142347 1 udp 2122260223 127.0.0.1 58692 typ host generation 0 network-id 1 network-cost 50")
        #expect(candidate.foundation == "106142347")
        #expect(candidate.component == 1)
        #expect(candidate.transport == .udp)
        #expect(candidate.priority == 2_122_260_223)
        #expect(candidate.transportAddress == TransportAddress(host: "127.0.0.1", port: 58692))
        #expect(candidate.kind == .host)
        #expect(candidate.generation == 0)
        #expect(candidate.extensionValue("network-id") == "1")
        #expect(candidate.extensionValue("network-cost") == "50")
        #expect(candidate.isUsable)
    }

    @Test func chromiumTCPCandidateIsParsedButNotUsable() throws {
        let candidate = try ICECandidate(parsing:
            "candidate:2204051192 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50")
        #expect(candidate.transport == .tcp)
        #expect(candidate.tcpType == "active")
        #expect(!candidate.isUsable)
    }

    @Test func mDNSAndReflexiveCandidates() throws {
        let mdns = try ICECandidate(parsing:
            "candidate:1 1 UDP 2122252543 3c1a6f0e-4f9d-4f4b-9d0b-8f5d0d3b7a11.local 54321 typ host ufrag Ab1z")
        #expect(mdns.isMDNS)
        #expect(mdns.transport == .udp)
        #expect(mdns.ufrag == "Ab1z")
        #expect(mdns.transportAddress == nil)
        #expect(!mdns.isUsable)

        let srflx = try ICECandidate(parsing:
            "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.1.20 rport 50000 generation 0")
        #expect(srflx.kind == .serverReflexive)
        #expect(srflx.relatedAddress == "192.168.1.20")
        #expect(srflx.relatedPort == 50000)
        // The `a=candidate:` attribute value (RFC 8839 §5.1) starts at the foundation; the browser API's form adds the prefix.
        #expect(srflx.sdpValue ==
            "842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.1.20 rport 50000 generation 0")
        #expect(srflx.description ==
            "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.1.20 rport 50000 generation 0")

        let v6 = try ICECandidate(parsing: "candidate:3 1 udp 2122197247 2001:db8::5 40000 typ host")
        #expect(v6.transportAddress?.family == .ipv6)
        #expect(v6.isUsable)

        let rtcp = try ICECandidate(parsing: "candidate:3 2 udp 2122197246 10.0.0.5 40001 typ host")
        #expect(!rtcp.isUsable)
    }

    @Test func priorityFollowsRFC8445() {
        #expect(ICECandidate.priority(kind: .host) == 2_130_706_431)
        #expect(ICECandidate.priority(kind: .host, localPreference: 65535, component: 2) == 2_130_706_430)
        #expect(ICECandidate.priority(kind: .peerReflexive, localPreference: 65535) == 110 << 24 | 65535 << 8 | 255)
        #expect(ICECandidate.priority(kind: .serverReflexive, localPreference: 0) == 100 << 24 | 255)
        #expect(ICECandidate.priority(kind: .relayed, localPreference: 10) == 10 << 8 | 255)
    }

    @Test func malformedLinesThrow() {
        let bad = [
            "",
            "candidate:",
            "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ",
            "candidate:1 1 udp 2130706431 127.0.0.1 5000 type host",
            "candidate:1 0 udp 2130706431 127.0.0.1 5000 typ host",
            "candidate:1 1 udp 4294967296 127.0.0.1 5000 typ host",
            "candidate:1 1 udp -1 127.0.0.1 5000 typ host",
            "candidate:1 1 udp 2130706431 127.0.0.1 65536 typ host",
            "candidate:1 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.1.20 rport x",
            "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host generation",
        ]
        for line in bad {
            #expect(throws: ParseError.self, "\(line)") { try ICECandidate(parsing: line) }
        }
    }
}
