import Foundation
import MemprofProfile
import XCTest

/// A Swift program as a service uses C libraries: SQLite (open, create a table, insert 2,000
/// rows with a 3,000-byte blob each, query them) and zlib (20 rounds of compress2 and
/// uncompress of 1 MiB). Debian builds both without frame pointers; every allocation they
/// make on the program's behalf has a stack that reaches `main` through the library's frames
/// and the Swift function that called it. (Support/sqlite_zlib_stacks.swift; needs
/// libsqlite3-dev and zlib1g-dev, which .ci/run installs.)
final class CLibraryStacksTests: XCTestCase {
    private static let support = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support")

    /// The program, built once with `swiftc -O -g`.
    private static let program: Result<String, Error> = Result {
        let exe = scratch.appendingPathComponent("sqlite_zlib_stacks").path
        let r = try runProgram("/opt/swift/usr/bin/swiftc",
                               ["-O", "-g", "-import-objc-header", support.appendingPathComponent("sqlite_zlib_stacks.h").path,
                                "-o", exe, support.appendingPathComponent("sqlite_zlib_stacks.swift").path, "-lsqlite3", "-lz"],
                               timeout: 300)
        guard r.status == 0 else {
            throw NSError(domain: "build", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "sqlite_zlib_stacks (needs libsqlite3-dev and zlib1g-dev): \(r.stderr)"])
        }
        return exe
    }

    private func profile(rate: Int?) throws -> Profile {
        let exe = try Self.program.get()
        let out = scratch.appendingPathComponent("clib-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var args = ["run", "-o", out]
        if let rate { args += ["--rate", String(rate)] }
        let r = try runProgram(product("memprof"), args + ["--", exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("2003616 "), "the rows' bytes the query selected: \(r.stdout)")
        return try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
    }

    private func profileStacks(rate: Int?) throws -> SampledStacks { SampledStacks(try profile(rate: rate)) }

    private func allocations(_ s: SampledStacks, _ frames: [String]) -> Int64 {
        s.matching(frames).reduce(0) { $0 + $1.allocations }
    }

    private func describe(_ stacks: [SampledStacks.Stack]) -> String {
        stacks.prefix(5).map { "\($0.allocations) x \($0.allocatedBytes) B: " + $0.frames.joined(separator: " <- ") }.joined(separator: "\n")
    }

    func testSQLiteAndZlibStacksReachMainAtRateOne() throws {
        let s = try profileStacks(rate: 1)
        XCTAssertGreaterThan(s.stacks.count, 0)
        XCTAssertEqual(s.completeShare, 1.0, "incomplete stacks:\n\(s.incompleteDescription())")

        // Every allocation made inside SQLite reaches main through the Swift function that
        // called into it, in order.
        let inSQLite = s.stacks.filter { $0.frames.contains { $0.hasPrefix("sqlite3") } }
        XCTAssertGreaterThan(inSQLite.count, 50)
        let throughStore = inSQLite.filter { s in
            guard let lib = s.frames.firstIndex(where: { $0.hasPrefix("sqlite3") }),
                  let store = s.frames.firstIndex(where: { $0.contains("store") && $0.contains("(") }),
                  let main = s.frames.firstIndex(of: "main") else { return false }
            return lib < store && store < main
        }
        XCTAssertEqual(throughStore.count, inSQLite.count, "not through a store function:\n" +
                       describe(inSQLite.filter { s in !throughStore.contains { $0.frames == s.frames } }))
        for path in [["sqlite3Malloc", "storeOpen(", "main"],
                     ["sqlite3_exec", "storeCreateTable(", "main"],
                     ["sqlite3_prepare_v2", "storeInsertRows(", "main"],
                     ["sqlite3_step", "storeInsertRows(", "main"],
                     ["sqlite3_prepare_v2", "storeQueryRows(", "main"]] {
            XCTAssertGreaterThan(allocations(s, path), 0, "no stack \(path.joined(separator: " <- "))")
        }
        // sqlite3_bind_blob with SQLITE_TRANSIENT copies each row's 3,000 bytes: one block per
        // row, allocated inside SQLite, called from the closure inside storeInsertRows.
        let copies = s.matching(["closure", "storeInsertRows(", "main"]).filter { $0.allocatedBytes >= 3000 * $0.allocations }
        XCTAssertEqual(copies.reduce(0) { $0 + $1.allocations }, 2000, describe(s.matching(["closure", "storeInsertRows("])))

        // zlib: deflateInit2_ allocates its state, window, prev, head and pending buffers (5
        // blocks), inflateInit2_ its state, once per round.
        XCTAssertEqual(allocations(s, ["deflateInit2_", "compress2", "compressRoundTrip(", "main"]), 100,
                       describe(s.matching(["deflateInit2_"])))
        XCTAssertEqual(allocations(s, ["inflateInit2_", "uncompress", "compressRoundTrip(", "main"]), 20,
                       describe(s.matching(["inflateInit2_"])))
        XCTAssertEqual(allocations(s, ["deflateInit2_"]), 100, "every deflateInit2_ stack is whole")
        XCTAssertEqual(allocations(s, ["inflateInit2_"]), 20, "every inflateInit2_ stack is whole")
    }

    func testSQLiteAndZlibStacksReachMainAtDefaultRate() throws {
        // 93 MB allocated: about 180 samples at one per 512 KiB, most of them the 1 MiB buffers
        // and zlib's windows.
        let s = try profileStacks(rate: nil)
        XCTAssertGreaterThan(s.stacks.count, 20)
        XCTAssertEqual(s.completeShare, 1.0, "incomplete stacks:\n\(s.incompleteDescription())")
        XCTAssertGreaterThan(allocations(s, ["deflateInit2_", "compress2", "compressRoundTrip(", "main"]), 0)
    }

    /// The same frames as heaptrack's (libunwind over the same CFI) on the same allocations:
    /// every stack of ours is one of heaptrack's, frame for frame (module and return address),
    /// and the other way round; ours only lack the allocator frames memprof trims.
    func testFramesAreHeaptracks() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/heaptrack"), ".ci/run installs heaptrack")
        let exe = try Self.program.get()
        let ours = FrameKeys.profile(try profile(rate: 1))
        let out = scratch.appendingPathComponent("clib-ht-\(UUID().uuidString)").path
        let run = try runProgram("/usr/bin/heaptrack", ["-r", "-o", out, exe])
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = [".raw.zst", ".raw.gz"].map { out + $0 }.first { FileManager.default.fileExists(atPath: $0) }
        let raw = try XCTUnwrap(file, "heaptrack wrote no raw file: \(run.stdout) \(run.stderr)")
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let text = try runProgram(raw.hasSuffix(".zst") ? "/usr/bin/zstd" : "/bin/gzip", ["-dc", raw]).stdout
        let theirs = FrameKeys.heaptrackRaw(text)
        XCTAssertGreaterThan(theirs.count, 10_000)

        let forms = FrameKeys.trimmedForms(theirs)
        let total = ours.reduce(0) { $0 + $1.allocations }
        let missing = ours.filter { !forms.contains($0.stack) }
        let same = total - missing.reduce(0) { $0 + $1.allocations }
        XCTAssertGreaterThan(total, 10_000)
        XCTAssertGreaterThanOrEqual(Double(same), 0.99 * Double(total), "our stacks that heaptrack does not have:\n" +
            missing.prefix(3).map { "\($0.allocations) x " + $0.stack.map(\.description).joined(separator: " <- ") }.joined(separator: "\n"))
        // The other way: heaptrack's stacks are ours (once the trimmed frames are dropped).
        let ourStacks = Set(ours.map(\.stack))
        let found = theirs.filter { s in
            ourStacks.contains(s) || (["libswiftCore.so", "libstdc++.so"].contains(s.first?.module ?? "")
                                      && (1..<min(s.count, 9)).contains { ourStacks.contains(Array(s[$0...])) })
        }
        XCTAssertGreaterThanOrEqual(Double(found.count), 0.99 * Double(theirs.count))
    }
}
