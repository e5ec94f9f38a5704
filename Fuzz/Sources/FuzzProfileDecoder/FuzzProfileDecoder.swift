import FuzzSupport
import MemprofProfile

/// The profile decoder on any bytes, as a client would upload or load a file (gzip or plain
/// profile.proto). Anything may be thrown as a `ProfileError` with a one-line message; a trap,
/// a sanitizer report, an allocation beyond libFuzzer's limit or a hang is a finding. What
/// parses must survive our encoder and decode to the same value, gzipped and plain.
@main
enum FuzzProfileDecoder {
    static func main() { exit(runFuzzer(fuzzOne)) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let profile: Profile
    do {
        profile = try Profile.parse(fuzzInput(data, size))
    } catch {
        precondition(!error.message.isEmpty && !error.message.contains("\n"), "bad message: \(error.message)")
        return 0
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
