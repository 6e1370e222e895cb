import Foundation

/// A sine tone as 20 ms blocks of interleaved 16-bit PCM at 48 kHz: a synthetic participant's voice.
///
/// Each participant gets its own pitch, so a listener (or a spectrum) tells the recorded tracks apart.
/// The phase runs on across blocks; an integer frequency repeats exactly every second, so a one-second
/// clip of it loops without a click.
public struct ToneGenerator: Sendable {
    public let hertz: Double
    public let channels: Int
    /// Peak amplitude as a fraction of full scale; a quarter leaves Opus headroom and is not shrill.
    public let level: Double
    private var sample: Int64 = 0

    public init(hertz: Double, channels: Int = 2, level: Double = 0.25) {
        self.hertz = hertz
        self.channels = channels
        self.level = level
    }

    /// A distinct, musical pitch per participant: a pentatonic scale from A3 upward, so no two of the first
    /// 25 collide and neighbours never beat against each other.
    public static func pitch(forParticipant index: Int) -> Double {
        let steps = [0, 2, 4, 7, 9]
        let octave = index / steps.count, degree = index % steps.count
        let semitones = Double(12 * octave + steps[degree])
        return (220 * pow(2, semitones / 12)).rounded()
    }

    /// The next 20 ms (960 samples per channel).
    public mutating func next() -> [Int16] {
        let count = 960
        var pcm = [Int16](repeating: 0, count: count * channels)
        let amplitude = level * Double(Int16.max)
        for index in 0..<count {
            // Phase from the absolute sample number, so rounding never accumulates.
            let phase = 2 * Double.pi * hertz * Double(sample + Int64(index)) / 48_000
            let value = Int16((amplitude * sin(phase)).rounded())
            for channel in 0..<channels { pcm[index * channels + channel] = value }
        }
        sample += Int64(count)
        return pcm
    }
}
