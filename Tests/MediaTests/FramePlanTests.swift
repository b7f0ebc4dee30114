// FramePlan: the sample times split at keyframes into parts of balanced decoding work.
@testable import Media
import Testing

@Suite("Frame plan")
struct FramePlanTests {
    /// The 12 times of a 10 s segment, keyframes every 2 s (index times a little early, as MP4 decode times are).
    static let times = (0..<12).map { (Double($0) + 0.5) * 10 / 12 }
    static func keyEvery2s(_ t: Double) -> Double? { (t / 2).rounded(.down) * 2 - 0.08 }

    @Test("2 parts cut between keyframe groups, the larger part as small as possible")
    func twoParts() {
        // Groups (work from the keyframe to the group's last time): [0.42 1.25] 1.37, [2.08 2.92 3.75] 1.87,
        // [4.58 5.42] 1.54, [6.25 7.08 7.92] 2.04, [8.75 9.58] 1.70. Best cut: 4.78 | 3.74.
        #expect(FramePlan.split(times: Self.times, parts: 2, frameDuration: 0.04, keyframe: Self.keyEvery2s) == [0..<7, 7..<12])
        #expect(FramePlan.split(times: Self.times, parts: 3, frameDuration: 0.04, keyframe: Self.keyEvery2s) == [0..<5, 5..<10, 10..<12])
    }

    @Test("never more parts than keyframe groups")
    func manyCores() {
        let parts = FramePlan.split(times: Self.times, parts: 16, frameDuration: 0.04, keyframe: Self.keyEvery2s)
        #expect(parts == [0..<2, 2..<5, 5..<7, 7..<10, 10..<12])
    }

    @Test("one part: one keyframe, an unknown keyframe, one core, one time")
    func onePart() {
        #expect(FramePlan.split(times: Self.times, parts: 2, frameDuration: 0.04) { _ in 0 } == [0..<12])
        #expect(FramePlan.split(times: Self.times, parts: 2, frameDuration: 0.04) { $0 < 5 ? 0 : nil } == [0..<12])
        #expect(FramePlan.split(times: Self.times, parts: 1, frameDuration: 0.04, keyframe: Self.keyEvery2s) == [0..<12])
        #expect(FramePlan.split(times: [3], parts: 2, frameDuration: 0.04, keyframe: Self.keyEvery2s) == [0..<1])
    }

    @Test("no part that would not shorten the largest one")
    func noUselessPart() {
        // Groups of work 4.94, 0.04, 0.04: a third decoder would not finish any sooner than two.
        let key: (Double) -> Double? = { $0 < 6 ? 0 : ($0 < 8 ? 6 : 8) }
        #expect(FramePlan.split(times: [4.9, 6.0, 8.0], parts: 3, frameDuration: 0.04, keyframe: key) == [0..<1, 1..<3])
    }
}
