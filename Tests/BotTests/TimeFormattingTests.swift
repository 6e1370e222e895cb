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

    /// Manifests, transcripts and logs keep the form Foundation's ISO 8601 style wrote before: compared with
    /// it over dates from 1900 to 2200, at every millisecond position and at the edges of a second.
    @Test func stringWritesWhatTheISO8601StyleWrites() {
        let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true)
            .timeZone(separator: .omitted)
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(), Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005),
                             Date(timeIntervalSince1970: 1_764_918_900.9995), Date(timeIntervalSince1970: 951_782_400)]
        for _ in 0..<2_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -2_208_988_800...7_258_118_400, using: &generator)))
        }
        for millisecond in 0..<1000 {
            dates.append(Date(timeIntervalSince1970: 1_764_918_900 + Double(millisecond) / 1000 + 0.0004))
        }
        for date in dates {
            #expect(ISOTime.string(date) == date.formatted(style), "\(date.timeIntervalSince1970)")
        }
        #expect(ISOTime.string(Date(timeIntervalSince1970: 1_764_918_900.125)) == "2025-12-05T07:15:00.125Z")
    }

    @Test func aDateNoCalendarCanPlaceHasNoName() {
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: .nan)) == nil)
        #expect(ISOTime.compactUTC(Date(timeIntervalSince1970: 1e300)) == nil)
    }
}
