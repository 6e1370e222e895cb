import Foundation

/// CPU time and peak memory of this process, for the figures the bot reports when it leaves.
public struct ResourceUsage: CustomStringConvertible, Sendable {
    public var userSeconds: Double
    public var systemSeconds: Double
    public var peakResidentKilobytes: Int

    public static func current() -> ResourceUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return ResourceUsage(
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            peakResidentKilobytes: usage.ru_maxrss)
    }

    public var description: String {
        let cpu = userSeconds + systemSeconds
        return "CPU \(String(format: "%.2f", cpu)) s (user \(String(format: "%.2f", userSeconds)), "
            + "system \(String(format: "%.2f", systemSeconds))), peak RSS \(peakResidentKilobytes / 1024) MiB"
    }
}
