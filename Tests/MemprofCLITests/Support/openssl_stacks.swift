// A Swift program whose allocations happen inside OpenSSL (built without frame pointers), as a
// TLS client makes them: a context that loads the system's CA certificates, sessions, and
// SHA-256 digests. Used by Scripts/stack-benchmark.sh when libssl-dev is installed.
// Build: swiftc -O -g -import-objc-header openssl_stacks.h openssl_stacks.swift -lssl -lcrypto
#if canImport(Glibc)
import Glibc
#endif
@inline(never) func makeContext() -> OpaquePointer {
    guard let ctx = SSL_CTX_new(TLS_client_method()) else { fatalError("SSL_CTX_new") }
    guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { fatalError("verify paths") }
    // Reading the CA file parses every certificate (libcrypto allocates per certificate).
    _ = SSL_CTX_load_verify_locations(ctx, "/etc/ssl/certs/ca-certificates.crt", nil)
    return ctx
}
@inline(never) func makeSessions(_ ctx: OpaquePointer, _ n: Int) -> Int {
    var made = 0
    for _ in 0..<n { if let ssl = SSL_new(ctx) { made += 1; SSL_free(ssl) } }
    return made
}
@inline(never) func digest(_ rounds: Int) -> UInt32 {
    let data = [UInt8](repeating: 7, count: 4096)
    var md = [UInt8](repeating: 0, count: 64), len: UInt32 = 0
    for _ in 0..<rounds {
        let c = EVP_MD_CTX_new()
        EVP_DigestInit_ex(c, EVP_sha256(), nil)
        EVP_DigestUpdate(c, data, data.count)
        EVP_DigestFinal_ex(c, &md, &len)
        EVP_MD_CTX_free(c)
    }
    return len
}
let ctx = makeContext()
print(makeSessions(ctx, 200), digest(2000))
SSL_CTX_free(ctx)
