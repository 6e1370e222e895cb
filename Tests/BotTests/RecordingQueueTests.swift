import Testing
@testable import Bot
@testable import MeetingKit

/// The queue to a recording holds a bounded backlog; what it cannot hold is refused, counted and reported sparingly.
@Suite struct RecordingQueueTests {
    @Test func aRecordingThatFallsBehindKeepsItsOldestBacklogAndCountsTheRest() async {
        let queue = RecordingQueue<Int>(capacity: 4)
        var reports: [Int] = []
        // Nothing consumes: the recording task is stuck on a slow disk.
        for value in 0..<120 {
            if let count = queue.push(value) { reports.append(count) }
        }
        #expect(queue.refused == 116)
        #expect(reports == [1, 10, 100])
        var received: [Int] = []
        #expect(!queue.take(into: &received))
        #expect(received == [0, 1, 2, 3])
        // Taken, the backlog makes room again; after finish nothing more is queued or counted.
        received.removeAll()
        #expect(queue.push(120) == nil)
        queue.finish()
        #expect(queue.push(121) == nil && queue.refused == 116)
        #expect(queue.take(into: &received))
        #expect(received == [120])
    }
}
