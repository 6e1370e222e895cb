import ArgumentParser
import Foundation
import MeetingKit

/// `engage-bot repair PATH...`: finalizes recordings that a killed bot left live, so they get a duration
/// and become seekable. Each file is handled on its own; the exit status is 1 when any of them failed.
struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Finalize WebM recordings left by a killed bot (Duration, Cues, SeekHead), keeping every complete frame."
    )

    @Argument(help: "The .webm files to finalize.")
    var paths: [String]

    func run() throws {
        var failures = 0
        for path in paths {
            do {
                switch try RecordingRepair.repair(path: path) {
                case .finalized(let blocks, let duration, let cut):
                    let tail = cut > 0 ? ", cut \(cut) bytes after the last complete frame" : ""
                    print("\(path): finalized, \(blocks) frames, \(Self.seconds(duration)) s\(tail)")
                case .alreadyFinalized(let blocks, let duration):
                    print("\(path): already finalized, \(blocks) frames, \(Self.seconds(duration)) s")
                }
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("\(path): not repaired: \(error.description)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private static func seconds(_ milliseconds: Int64) -> String {
        String(format: "%.3f", Double(milliseconds) / 1000)
    }
}
