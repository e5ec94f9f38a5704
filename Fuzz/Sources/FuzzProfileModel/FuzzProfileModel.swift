import FuzzSupport
import MemprofProfile

/// What runs on a decoded profile that came from outside: Go's legacy heap text writer (we
/// have no legacy text *reader*: `Profile+LegacyHeapText.swift` only writes), merge and
/// compaction (`memprof diff`, `-base`), scaling and subtraction (delta profiles) and
/// `-sample_index`. The profile is decoded from the input; anything that parses is a profile
/// a client could hand us, so every operation must throw or succeed, never trap.
///
/// Checked invariants: the legacy text starts with Go's header line and ends every record
/// with an empty line; `p - p` has no samples (when no value is beyond 2^53); merge keeps the
/// sample types.
@main
enum FuzzProfileModel {
    static func main() { exit(runFuzzer(fuzzOne)) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let profile = try? Profile.parse(input) else { return 0 }
    // One input byte picks the scale factor and the sample-index name.
    let knob = input.last ?? 0

    if let text = try? profile.legacyHeapText(functionEntry: { f in
        f.startLine % 2 == 0 ? UInt64(bitPattern: f.startLine) : nil
    }) {
        precondition(text.hasPrefix("heap profile: "), "legacy text without its header")
    }
    if let compact = try? profile.compacted() {
        precondition(compact.sampleTypes == profile.sampleTypes, "compaction changed the sample types")
        _ = compact.encoded(gzip: false)
    }
    // -base scales by -1 through a Double, as pprof does: values beyond 2^53 may not cancel
    // (go tool pprof leaves the same residue).
    if profile.samples.allSatisfy({ $0.values.allSatisfy { $0 == .min || $0.magnitude <= 1 << 53 } }),
       let delta = try? profile.subtracting(profile) {
        precondition(delta.samples.isEmpty, "p - p left \(delta.samples.count) samples")
    }
    let factors: [Double] = [0, -1, 0.5, 2, 1e300, -.infinity, .nan, 1.0 / 3]
    let scaled = profile.scaled(by: factors[Int(knob) % factors.count])
    _ = try? Profile.merge([profile, scaled])
    let names: [String?] = [nil, "", "0", "-1", "99", "inuse_space", "alloc_objects", "space", "\u{0}"]
    _ = try? profile.sampleIndex(named: names[Int(knob) % names.count])
    return 0
}
