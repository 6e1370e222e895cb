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
        queue.finish()
        var received: [Int] = []
        for await value in queue.stream { received.append(value) }
        #expect(received == [0, 1, 2, 3])
    }
}
