import Foundation
import Logging
import Testing

@testable import MeetingKit

#if canImport(Glibc)
import Glibc
#endif

/// `engage-bot join --stdin-chat` reads its lines as the control socket does: through a real pipe, an overlong
/// line is dropped whole (not cut), empty lines are skipped, and the last line counts without a newline.
struct StandardInputLinesTests {
    @Test func aPipesLinesComeOutAsTheControlSocketsWould() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let lines = ControlInterface.lines(readingDescriptor: readEnd, named: "test pipe", logger: Logger(label: "test"))
        let long = String(repeating: "x", count: ControlInterface.maximumLineBytes + 1)
        let written = Array("first\n\nsecond\r\n\(long)\nthird".utf8)
        // Written from a thread of its own: the pipe holds less than the overlong line.
        let writer = Thread {
            var offset = 0
            while offset < written.count {
                let count = written[offset...].withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                offset += count
            }
            close(writeEnd)
        }
        writer.start()
        var received: [String] = []
        for await line in lines { received.append(line) }
        close(readEnd)
        #expect(received == ["first", "second", "third"])
    }
}
