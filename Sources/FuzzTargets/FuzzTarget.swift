/// One fuzz target: a name for the command line, a function that must not trap whatever bytes it gets,
/// and the inputs its committed corpus (`Fuzz/Corpus/<name>`) was generated from.
public struct FuzzTarget: Sendable {
    public let name: String
    public let run: @Sendable ([UInt8]) -> Void
    public let seeds: @Sendable () -> [[UInt8]]

    public init(name: String, run: @escaping @Sendable ([UInt8]) -> Void, seeds: @escaping @Sendable () -> [[UInt8]]) {
        self.name = name
        self.run = run
        self.seeds = seeds
    }
}
