import Dispatch
import FuzzSupport
import Memprof
import MemprofHTTP

/// `MemprofRequestHandler.handle` on requests built from the input, without a server: the
/// input reads like an HTTP/1 request, `METHOD TARGET` on the first line, `Name: value`
/// header lines up to an empty line, then the body (for `POST /debug/pprof/symbol`). Bytes
/// that are not UTF-8 are replaced, as a server would. A request carrying an
/// `Authorization` header goes to a handler that needs the token `fuzz-token`, others to one
/// without a token, so every route is reachable.
///
/// Delta profiles (`?seconds=N`) would sleep N seconds: `maxDeltaSeconds` is 0 here, so any
/// `seconds` gets its 400 after validation. Heap sampling is off so that a profile route costs
/// a snapshot, not a symbolization of libFuzzer's own allocations.
///
/// Checked invariants: the status is a valid HTTP status, and no header name or value holds
/// CR, LF or NUL (no response splitting from request input).
@main
enum FuzzHTTPRequest {
    static func main() {
        HeapProfile.samplingRate = 0
        exit(runFuzzer(fuzzOne))
    }
}

private let openHandler = MemprofRequestHandler(configuration: .init(maxDeltaSeconds: 0))
private let guarded = MemprofRequestHandler(configuration: .init(token: "fuzz-token", maxDeltaSeconds: 0))

/// Splits the input into a request (a first line without a space is the target of a GET).
private func request(from input: [UInt8]) -> MemprofRequest {
    var lines = input.split(separator: UInt8(ascii: "\n"), maxSplits: 64, omittingEmptySubsequences: false)[...]
    func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes, as: UTF8.self)
    }
    let first = lines.popFirst().map(text) ?? ""
    let space = first.firstIndex(of: " ")
    let method = space.map { String(first[..<$0]) } ?? "GET"
    let uri = space.map { String(first[first.index(after: $0)...]) } ?? first
    var headers: [(name: String, value: String)] = []
    while let line = lines.first, !text(line).isEmpty {
        lines.removeFirst()
        let header = text(line)
        guard let colon = header.firstIndex(of: ":") else { continue }
        headers.append((String(header[..<colon]), String(header[header.index(after: colon)...].drop { $0 == " " })))
    }
    _ = lines.popFirst()  // the empty line
    let body = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    return MemprofRequest(method: method, uri: uri, headers: headers, body: body)
}

/// `FUZZ_PRINT=1`: print each response's status and the start of its body (to check that a
/// replayed corpus reaches the routes).
private let printResponses = getenv("FUZZ_PRINT") != nil

private final class Box: @unchecked Sendable { var response: MemprofResponse? }

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let request = request(from: fuzzInput(data, size))
    let handler = request.header("Authorization") == nil ? openHandler : guarded
    let done = DispatchSemaphore(value: 0)
    let box = Box()
    Task {
        box.response = await handler.handle(request)
        done.signal()
    }
    done.wait()
    guard let response = box.response else { preconditionFailure("no response") }
    if printResponses {
        print(request.method, request.uri, "->", response.status, response.body.count, "bytes:",
              String(decoding: response.body.prefix(80), as: UTF8.self).debugDescription)
    }
    precondition((100...599).contains(response.status), "status \(response.status)")
    for (name, value) in response.headers {
        let bad: (Character) -> Bool = { $0 == "\r" || $0 == "\n" || $0 == "\u{0}" }
        precondition(!name.contains(where: bad) && !value.contains(where: bad), "header \(name): \(value)")
    }
    return 0
}
