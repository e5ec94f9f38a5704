/// Checks `Authorization: Bearer <token>` against the configured token, in time that does
/// not depend on where the two first differ.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    /// Nil for an empty token: an empty token would accept `Authorization: Bearer `.
    init?(_ token: String?) {
        guard let token, !token.isEmpty else { return nil }
        expected = Array(token.utf8)
    }

    /// Whether the request carries the token.
    func accepts(_ request: MemprofRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        var parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        parts[1] = parts[1].drop(while: { $0 == " " })
        return constantTimeEqual(Array(parts[1].utf8), expected)
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        for i in 0..<b.count {
            difference |= (i < a.count ? a[i] : 0) ^ b[i]
        }
        return difference == 0
    }

    /// The 401 answer, with the challenge clients expect.
    static let challenge = MemprofResponse.error(
        401, "unauthorized: send the token as \"Authorization: Bearer <MEMPROF_HTTP_TOKEN>\"",
        headers: [("WWW-Authenticate", #"Bearer realm="memprof""#)])
}
