import Foundation
@testable import Mesh

enum SDPFixtures {
    static func text(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures") else {
            throw ParseError("fixture \(name).sdp missing from the test bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func parsed(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: text(name))
    }

    static let all = ["chromium-156-offer", "chromium-156-answer", "aiortc-1.16-offer", "aiortc-1.16-answer"]
}
