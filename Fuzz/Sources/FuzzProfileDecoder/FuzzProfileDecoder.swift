import FuzzSupport
import MemprofProfile

/// The profile decoder on any bytes, as a client would upload or load a file (gzip or plain
/// profile.proto). Anything may be thrown as a `ProfileError` with a one-line message; a trap,
/// a sanitizer report, an allocation beyond libFuzzer's limit or a hang is a finding. What
/// parses must survive our encoder and decode to the same value, gzipped and plain; with
/// tight `ParseLimits` the input must give the same profile or a `.limitExceeded` error.
@main
enum FuzzProfileDecoder {
    static func main() { exit(runFuzzer(fuzzOne)) }
}

/// Small bounds, so that every limit check is reached by small inputs.
private let tight = ParseLimits(maxDecompressedBytes: 4096, maxStrings: 64, maxRecords: 16, maxRepeated: 8, maxNesting: 2)

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let bounded = Result { () throws(ProfileError) in try Profile.parse(input, limits: tight) }
    let profile: Profile
    do {
        profile = try Profile.parse(input)
    } catch {
        precondition(!error.message.isEmpty && !error.message.contains("\n"), "bad message: \(error.message)")
        if case .success = bounded { preconditionFailure("tight limits accepted what the defaults reject") }
        return 0
    }
    // Limits only ever reject: what parses within them is the same profile.
    switch bounded {
    case .success(let small): precondition(small == profile, "limits changed the profile")
    case .failure(let error): precondition(error.kind == .limitExceeded, "tight limits: \(error.message)")
    }
    for gzip in [false, true] {
        do {
            let again = try Profile.parse(profile.encoded(gzip: gzip))
            precondition(again == profile, "round trip (gzip: \(gzip)) changed the profile")
        } catch {
            preconditionFailure("our own encoding (gzip: \(gzip)) does not parse: \(error)")
        }
    }
    return 0
}
