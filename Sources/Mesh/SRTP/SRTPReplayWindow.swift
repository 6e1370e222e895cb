/// One source's packet indices (RFC 3711 3.3): the highest index received, which of the `size` indices
/// below it have been received, and the 48-bit index a 16-bit sequence number stands for.
///
/// Works for SRTP's 48-bit indices (rollover counter and sequence number) and SRTCP's 31-bit ones. The
/// bitmap is inline, so a window costs no allocation and copies without sharing.
struct SRTPReplayWindow {
    static let size = 1024

    enum Verdict: Equatable {
        case fresh
        /// Received before, inside the window.
        case replayed
        /// Older than the window.
        case tooOld
    }

    private(set) var highest: UInt64
    /// Bit `index % size` is set when `index` arrived; only indices within `size` of `highest` count.
    private var seen = InlineArray<16, UInt64>(repeating: 0)

    init(first index: UInt64) {
        highest = index
        mark(index)
    }

    /// RFC 3711 3.3.1: the index `sequenceNumber` stands for, near the highest, decided as libsrtp2 (and so
    /// the browsers) decides it, ties included: while the highest index is at most 2^15 the rollover counter
    /// is taken as 0, since it cannot go below.
    func estimateIndex(of sequenceNumber: UInt16) -> UInt64 {
        let half = 1 << 15
        guard highest > UInt64(half) else { return UInt64(sequenceNumber) }
        let rolloverCounter = highest >> 16
        let localSequence = Int(highest & 0xFFFF)
        let received = Int(sequenceNumber)
        let counter: UInt64
        if localSequence < half {
            // highest > 2^15 with a low sequence number: the counter is at least 1.
            counter = received - localSequence > half ? rolloverCounter - 1 : rolloverCounter
        } else {
            counter = localSequence - half > received ? rolloverCounter + 1 : rolloverCounter
        }
        return counter << 16 | UInt64(sequenceNumber)
    }

    func verdict(for index: UInt64) -> Verdict {
        if index > highest { return .fresh }
        if highest - index >= UInt64(Self.size) { return .tooOld }
        return isMarked(index) ? .replayed : .fresh
    }

    /// Records `index` as received; call only for packets that authenticated.
    mutating func accept(_ index: UInt64) {
        if index > highest {
            let advance = index - highest
            if advance >= UInt64(Self.size) {
                for word in seen.indices { seen[word] = 0 }
            } else {
                // The slots the window moves onto held indices `size` older: clear them.
                var cleared = highest &+ 1
                while cleared <= index {
                    unmark(cleared)
                    cleared &+= 1
                }
            }
            highest = index
        }
        mark(index)
    }

    /// The word of `seen` that holds `index`'s bit, and the bit.
    private static func slot(_ index: UInt64) -> (word: Int, bit: UInt64) {
        let slot = Int(index % UInt64(size))
        return (slot / 64, 1 << UInt64(slot % 64))
    }

    private func isMarked(_ index: UInt64) -> Bool {
        let (word, bit) = Self.slot(index)
        return seen[word] & bit != 0
    }

    private mutating func mark(_ index: UInt64) {
        let (word, bit) = Self.slot(index)
        seen[word] |= bit
    }

    private mutating func unmark(_ index: UInt64) {
        let (word, bit) = Self.slot(index)
        seen[word] &= ~bit
    }
}
