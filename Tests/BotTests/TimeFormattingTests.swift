import Foundation
import MeetingKit
import Testing

/// The session folder's start time, written without ICU: compared with what Python's datetime says.
struct TimeFormattingTests {
    @Test func compactUTCNamesTheSecond() {
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: -0.5)) == "19691231T235959Z")
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: 1_764_918_900.999)) == "20251205T071500Z")
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: 63_113_904_000)) == "39700101T000000Z")
        // A session folder made now carries the same name a formatter would give it.
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        #expect(ISOTime.compactUTC(now) == formatter.string(from: now))
    }

    @Test func aDateNoCalendarCanPlaceHasNoName() {
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: .nan)) == nil)
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: 1e300)) == nil)
    }
}
