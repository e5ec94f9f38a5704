import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `https://` through the `curl` program: TLS with the system's certificates, without
/// linking a TLS stack into memprof. Redirects are followed (at most five), anything but
/// status 200 fails, and the deadline and size limit are curl's own `--max-time` and
/// `--max-filesize` (checked here too).
enum CurlFetch {
    static func get(_ url: String, timeout: Double, maxBytes: Int) throws -> [UInt8] {
        let arguments = ["curl", "--silent", "--show-error", "--fail", "--location", "--max-redirs", "5",
                         "--proto", "=https", "--max-time", String(format: "%.1f", timeout),
                         "--max-filesize", String(maxBytes), "--", url]
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0 else { throw HTTPFetcher.Failure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw HTTPFetcher.Failure("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        for fd in [out[0], out[1], err[0], err[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "curl", &actions, nil, &argv, environ)
        close(out[1]); close(err[1])
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else {
            let why = rc == ENOENT ? "the curl program is not installed (apt-get install curl), or fetch over http://"
                                   : "cannot run curl: \(String(cString: strerror(rc)))"
            throw HTTPFetcher.Failure("https:// needs curl: \(why)")
        }
        let (body, message) = readBoth(out[0], err[0], limit: maxBytes)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "curl: ", with: "")
            throw HTTPFetcher.Failure(text.isEmpty ? "curl failed (exit status \(code))" : "\(text) (curl exit status \(code))")
        }
        guard body.count <= maxBytes else { throw HTTPFetcher.Failure("response larger than \(maxBytes >> 20) MiB") }
        return body
    }

    /// Reads two pipes to their end with poll (so that neither can fill up and block curl).
    /// Stops keeping bytes past `limit` + 1 (enough to tell the body was too large).
    private static func readBoth(_ a: Int32, _ b: Int32, limit: Int) -> ([UInt8], [UInt8]) {
        var data: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if data[i].count <= limit { data[i] += buffer[0..<n] }
                } else if n == 0 || errno != EINTR {
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        return (data[0], data[1])
    }
}
