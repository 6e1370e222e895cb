/// The property of a format with a writer: what we write from a parsed value parses back to that value.
/// A violation is a finding, so it traps on purpose, where the fuzzer reports it with the input.
enum RoundTrip {
    static func require<Value: Equatable>(_ original: Value, _ reparsed: Value?, _ format: String) {
        guard let reparsed else {
            fatalError("\(format): our serialization of a parsed value does not parse: \(original)")
        }
        if reparsed != original {
            fatalError("\(format): round trip changed the value\n  parsed:   \(original)\n  reparsed: \(reparsed)")
        }
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError(message()) }
    }
}
