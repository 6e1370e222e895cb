/// Which TSNs of the peer have arrived: the cumulative TSN, up to which everything has, and the
/// runs of TSNs held above it, which become the gap ack blocks of a SACK (RFC 4960 3.3.4).
///
/// The runs are kept sorted and merged as TSNs arrive, so a SACK costs the blocks it reports, not
/// every TSN held. A peer decides where the holes are, so TSNs more than `window` above the
/// cumulative one are refused (the sender retransmits them once the holes fill): at most `window`
/// TSNs and `window / 2` runs are ever held.
struct ReceivedTSNs {
    /// Consecutive TSNs `first...last`, in serial order.
    struct Run: Equatable {
        var first: UInt32
        var last: UInt32
    }

    enum Outcome: Equatable {
        case new
        /// At or below the cumulative TSN, or inside a run already held.
        case duplicate
        /// More than `window` above the cumulative TSN.
        case beyondWindow
    }

    /// The highest TSN up to which everything has arrived.
    private(set) var cumulative: UInt32
    /// Disjoint, non-adjacent runs above `cumulative`, in serial order.
    private(set) var runs: [Run] = []
    let window: UInt32

    init(cumulative: UInt32, window: UInt32) {
        self.cumulative = cumulative
        self.window = max(window, 1)
    }

    var isEmpty: Bool { runs.isEmpty }

    /// Distance above the cumulative TSN; every TSN held is 1...window away, so this orders them.
    private func offset(_ tsn: UInt32) -> UInt32 { tsn &- cumulative }

    /// The index of the first run that ends at or above `offset`, or `runs.count`.
    private func firstRun(endingAtOrAbove target: UInt32) -> Int {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = low + (high - low) / 2
            if offset(runs[middle].last) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// What inserting `tsn` would do, without doing it.
    func classify(_ tsn: UInt32) -> Outcome { locate(tsn).outcome }

    /// The outcome for `tsn`, its distance above the cumulative TSN and, when new, the index of the first
    /// run after it: one search serves both the question and the insertion.
    private func locate(_ tsn: UInt32) -> (outcome: Outcome, distance: UInt32, index: Int) {
        let distance = offset(tsn)
        // Zero is the cumulative TSN itself; beyond half the space it is serially below it.
        if distance == 0 || distance > UInt32(Int32.max) { return (.duplicate, distance, 0) }
        if distance > window { return (.beyondWindow, distance, 0) }
        let index = firstRun(endingAtOrAbove: distance)
        let held = index < runs.count && offset(runs[index].first) <= distance
        return (held ? .duplicate : .new, distance, index)
    }

    @discardableResult
    mutating func insert(_ tsn: UInt32) -> Outcome {
        let (outcome, distance, index) = locate(tsn)
        guard outcome == .new else { return outcome }
        let joinsPrevious = index > 0 && offset(runs[index - 1].last) == distance - 1
        let joinsNext = index < runs.count && offset(runs[index].first) == distance + 1
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            runs[index - 1].last = runs[index].last
            runs.remove(at: index)
        case (true, false):
            runs[index - 1].last = tsn
        case (false, true):
            runs[index].first = tsn
        case (false, false):
            runs.insert(Run(first: tsn, last: tsn), at: index)
        }
        absorbLeadingRun()
        return .new
    }

    /// A run that starts right after the cumulative TSN has no hole before it: it becomes the cumulative TSN.
    private mutating func absorbLeadingRun() {
        if let run = runs.first, run.first == cumulative &+ 1 {
            cumulative = run.last
            runs.removeFirst()
        }
    }

    /// RFC 3758: everything up to `newCumulative` counts as arrived. Returns false when that is not ahead.
    mutating func forward(to newCumulative: UInt32) -> Bool {
        let distance = offset(newCumulative)
        guard distance != 0, distance <= UInt32(Int32.max) else { return false }
        let kept = firstRun(endingAtOrAbove: distance + 1)
        runs.removeFirst(min(kept, runs.count))
        if let run = runs.first, offset(run.first) <= distance { runs[0].first = newCumulative &+ 1 }
        cumulative = newCumulative
        absorbLeadingRun()
        return true
    }

    /// Gap ack blocks as offsets from the cumulative TSN: the first `limit` runs that a 16-bit offset can name.
    func gapBlocks(limit: Int) -> [ChunkSelectiveAck.GapAckBlock] {
        var blocks: [ChunkSelectiveAck.GapAckBlock] = []
        for run in runs.prefix(limit) {
            let start = offset(run.first)
            guard let start16 = UInt16(exactly: start) else { break }
            blocks.append(.init(start: start16, end: UInt16(clamping: offset(run.last))))
        }
        return blocks
    }
}
