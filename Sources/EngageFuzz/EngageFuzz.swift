import CEngageFuzzer
import Foundation
import FuzzTargets

/// `engage-fuzz TARGET [ARGS...]`. Built by scripts/fuzz.sh with -DFUZZING and the sanitizers, ARGS are
/// libFuzzer's (corpus directories, -max_total_time=…). In the normal build ARGS are input files or
/// directories, each run once through the target: the way to replay a crash without the sanitizers.
/// `engage-fuzz list` names the targets; `engage-fuzz seed DIR` writes every target's seeds to DIR/<target>/.
/// In the fuzzing build, `FUZZ_TARGET=NAME engage-fuzz ARGS...` works too (what -minimize_crash needs).
@main
enum EngageFuzz {
    static func main() {
        #if FUZZING
        // libFuzzer re-runs its own command line for -minimize_crash, -fork and -merge, without our first
        // argument: FUZZ_TARGET names the target then, and every argument is libFuzzer's.
        if let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] {
            guard let target = FuzzTargets.named(name) else { fail("no target \(name)") }
            exit(runLibFuzzer(target, skipping: 1))
        }
        #endif
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { fail("usage: engage-fuzz list | seed DIR | TARGET [ARGS...]") }
        switch arguments[1] {
        case "list":
            for target in FuzzTargets.all { print(target.name) }
        case "seed":
            guard arguments.count == 3 else { fail("usage: engage-fuzz seed DIR") }
            writeSeeds(into: URL(fileURLWithPath: arguments[2]))
        default:
            guard let target = FuzzTargets.named(arguments[1]) else { fail("no target \(arguments[1])") }
            #if FUZZING
            exit(runLibFuzzer(target, skipping: 2))
            #else
            replay(target, paths: Array(arguments.dropFirst(2)))
            #endif
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }

    static func writeSeeds(into directory: URL) {
        for target in FuzzTargets.all {
            let folder = directory.appendingPathComponent(target.name)
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (index, seed) in target.seeds().enumerated() {
                    try Data(seed).write(to: folder.appendingPathComponent("seed-\(index)"))
                }
            } catch {
                fail("cannot write seeds to \(folder.path): \(error)")
            }
        }
    }

    static func replay(_ target: FuzzTarget, paths: [String]) {
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("no such input \(path)") }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
                target.run(Array(data))
                count += 1
            }
        }
        print("\(target.name): \(count) inputs replayed")
    }
}

#if FUZZING
/// libFuzzer calls a C function pointer, which cannot capture: the target is chosen once, before the driver runs.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

private func runLibFuzzer(_ target: FuzzTarget, skipping skipped: Int) -> Int32 {
    selectedTarget = target
    // libFuzzer sees the program name and the arguments after the target's name.
    var arguments: [UnsafeMutablePointer<CChar>?] = [CommandLine.unsafeArgv[0]]
    for index in skipped..<Int(CommandLine.argc) { arguments.append(CommandLine.unsafeArgv[index]) }
    arguments.append(nil)
    var count = Int32(arguments.count - 1)
    return arguments.withUnsafeMutableBufferPointer { buffer in
        var argv = buffer.baseAddress
        return LLVMFuzzerRunDriver(&count, &argv) { data, size in
            let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            selectedTarget?.run(bytes)
            return 0
        }
    }
}
#endif
