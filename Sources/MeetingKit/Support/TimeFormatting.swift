import Foundation

extension Duration {
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The one way times are written into manifests, transcripts and logs: ISO 8601 in UTC with milliseconds.
public enum ISOTime {
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
