// FramePlan: splits the sample times into contiguous parts, one per decoder, balanced by decoding work.

/// Decoding for a time starts at the keyframe before it, so times that share a keyframe form a
/// group that one decoder must handle, and groups are independent of each other. A group's work is
/// roughly the media time from its keyframe to its last time; a part's work is the sum of its groups.
enum FramePlan {
    /// At most `parts` contiguous ranges of the ascending `times`, cut only between keyframe groups,
    /// with the largest part's work as small as possible. `keyframe(t)` gives the seconds of the
    /// indexed keyframe at or before t; when it does not know one, everything is one part.
    static func split(times: [Double], parts: Int, frameDuration: Double,
                      keyframe: (Double) -> Double?) -> [Range<Int>] {
        guard parts > 1, times.count > 1 else { return [0..<times.count] }
        // Groups of consecutive times with the same keyframe, and their work.
        var starts: [Int] = [], work: [Double] = []
        var lastKey = -Double.infinity
        for (i, t) in times.enumerated() {
            guard let key = keyframe(t) else { return [0..<times.count] }
            if starts.isEmpty || key != lastKey {
                starts.append(i)
                work.append(0)
                lastKey = key
            }
            work[work.count - 1] = max(t - key, 0) + frameDuration
        }
        let groups = starts.count
        let k = min(parts, groups)
        guard k > 1 else { return [0..<times.count] }
        // best[p][g]: smallest largest-part work for the first g groups in p parts; cut[p][g]: where the last part starts.
        var prefix = [0.0]
        for w in work { prefix.append(prefix.last! + w) }
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: groups + 1), count: k + 1)
        var cut = [[Int]](repeating: [Int](repeating: 0, count: groups + 1), count: k + 1)
        for g in 1...groups { best[1][g] = prefix[g] }
        for p in 2...k {
            for g in p...groups {
                for c in (p - 1)..<g {
                    let value = max(best[p - 1][c], prefix[g] - prefix[c])
                    if value < best[p][g] {
                        best[p][g] = value
                        cut[p][g] = c
                    }
                }
            }
        }
        // Fewer parts when more would not shorten the largest one.
        var used = 1
        for p in 2...k where best[p][groups] < best[used][groups] - 1e-9 { used = p }
        var bounds: [Int] = [groups]
        var g = groups
        for p in stride(from: used, to: 1, by: -1) {
            g = cut[p][g]
            bounds.insert(g, at: 0)
        }
        bounds.insert(0, at: 0)
        return (0..<used).map { p in
            let lo = starts[bounds[p]]
            let hi = bounds[p + 1] < groups ? starts[bounds[p + 1]] : times.count
            return lo..<hi
        }
    }
}
