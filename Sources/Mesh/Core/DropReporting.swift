/// Which of a run of counted drops deserve a log line: the 1st, 10th, 100th, 1000th…
///
/// A hostile peer can make us drop things at line rate; logging each would turn its flood into
/// ours (disk, CPU, a log nobody can read). One line per order of magnitude still says that it
/// happens and how much, at a cost of a handful of lines.
public enum DropReporting {
    public static func isReportWorthy(_ count: Int) -> Bool {
        guard count > 0 else { return false }
        var power = 1
        while power < count {
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { return false }
            power = next
        }
        return power == count
    }
}
