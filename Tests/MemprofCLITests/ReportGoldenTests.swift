import Foundation
import XCTest

/// Every report command of the CLI over Go's own profiles must print what `go tool pprof`
/// prints for the same flags. The golden files are recorded from `go tool pprof` (never from
/// memprof) with `MEMPROF_RECORD=1`.
final class ReportGoldenTests: XCTestCase {
    struct Case {
        /// Golden file name.
        var name: String
        var memprof: [String]
        var pprof: [String]
        /// Run in the fixtures folder (list reads main.go there).
        var inFixtures = false
    }

    static let cases: [Case] = {
        let heap = CLI.fixture("heap.pb.gz"), gc1 = CLI.fixture("heap-gc1.pb.gz"), allocs = CLI.fixture("allocs.pb.gz")
        let labels = CLI.fixture("labels.pb.gz"), cxx = CLI.fixture("cxxties.pb.gz")
        // Tag filters as pprof reads them: numeric ranges (in the label's unit), lists,
        // `key:value` without a key, `key=` for "has the key".
        let tagCases = [
            ("top_labels_tagfocus_bytes_range.txt", "-tagfocus=bytes=4kB:16kB"),
            ("top_labels_tagfocus_req_kilobytes.txt", "-tagfocus=req=500kB"),
            ("top_labels_tagfocus_at_most.txt", "-tagfocus=:2kB"),
            ("top_labels_tagfocus_list.txt", "-tagfocus=multi=m1,m2"),
            ("top_labels_tagignore_key_value.txt", "-tagignore=k:x"),
            ("top_labels_tagfocus_has_key.txt", "-tagfocus=multi="),
            ("top_labels_tagfocus_all_of.txt", "-tagfocus=k:y,multi"),
        ].map { Case(name: $0.0, memprof: ["top", $0.1, labels], pprof: ["-top", $0.1, labels]) }
        return tagCases + [
            Case(name: "top_allocs_tagfocus_at_least.txt", memprof: ["top", "-tagfocus=1MB:", allocs],
                 pprof: ["-top", "-tagfocus=1MB:", allocs]),
            // Ties in value ordered by the demangled C++ name, as pprof demangles it first.
            Case(name: "top_cxx_ties.txt", memprof: ["top", cxx], pprof: ["-top", cxx]),
            // pprof's -divide_by: values divided before printing (the totals too).
            Case(name: "top_allocs_divide_by.txt", memprof: ["top", "-divide_by=3", "-sample_index=alloc_objects", allocs],
                 pprof: ["-top", "-divide_by=3", "-sample_index=alloc_objects", allocs]),
            // One entry per file: the functions of a file merge (pprof keeps no start line or
            // object file for them once addresses are gone).
            Case(name: "top_heap_files.txt", memprof: ["top", "--granularity", "files", heap], pprof: ["-top", "-files", heap]),
            Case(name: "peek_allocs_files.txt", memprof: ["peek", "main.go", "--granularity", "files", allocs],
                 pprof: ["-peek=main.go", "-files", allocs]),
            // pprof's own spellings of the granularities and of -noinlines.
            Case(name: "top_allocs_lines.txt", memprof: ["top", "-lines", "-n", "6", allocs], pprof: ["-top", "-lines", "-nodecount=6", allocs]),
            Case(name: "traces_allocs_addresses.txt", memprof: ["traces", "--addresses", allocs],
                 pprof: ["-traces", "-addresses", allocs]),
            Case(name: "top_allocs_noinlines.txt", memprof: ["top", "-noinlines", allocs], pprof: ["-top", "-noinlines", allocs]),
            // A block profile with pprof's shortcuts for its two sample types.
            Case(name: "top_block_contentions.txt", memprof: ["top", "-contentions", CLI.fixture("block.pb.gz")],
                 pprof: ["-top", "-contentions", CLI.fixture("block.pb.gz")]),
            Case(name: "top_block_total_delay.txt", memprof: ["top", "-total_delay", CLI.fixture("block.pb.gz")],
                 pprof: ["-top", "-total_delay", CLI.fixture("block.pb.gz")]),
            // Means per contention: nodes show means, peek's edges and list's lines totals.
            Case(name: "top_block_mean_delay.txt", memprof: ["top", "-mean_delay", CLI.fixture("block.pb.gz")],
                 pprof: ["-top", "-mean_delay", CLI.fixture("block.pb.gz")]),
            Case(name: "top_block_mean_cum.txt", memprof: ["top", "--mean", "--cum", CLI.fixture("block.pb.gz")],
                 pprof: ["-top", "-mean", "-cum", CLI.fixture("block.pb.gz")]),
            Case(name: "peek_block_mean.txt", memprof: ["peek", "-mean", "main", CLI.fixture("block.pb.gz")],
                 pprof: ["-peek=main", "-mean", CLI.fixture("block.pb.gz")]),
            Case(name: "traces_block_mean_delay.txt", memprof: ["traces", "-mean_delay", CLI.fixture("block.pb.gz")],
                 pprof: ["-traces", "-mean_delay", CLI.fixture("block.pb.gz")]),
            // Several sources are merged (units scaled, values added, durations summed).
            Case(name: "top_heap_and_allocs_merged.txt", memprof: ["top", "-n", "8", heap, allocs],
                 pprof: ["-top", "-nodecount=8", heap, allocs]),
            Case(name: "traces_heap_twice_minus_gc1.txt", memprof: ["traces", "--base", gc1, heap, heap],
                 pprof: ["-traces", "-base=" + gc1, heap, heap]),
            Case(name: "traces_allocs_prune_from.txt", memprof: ["traces", "-prune_from=runtime", allocs],
                 pprof: ["-traces", "-prune_from=runtime", allocs]),
            Case(name: "top_allocs_nodecount_negative.txt", memprof: ["top", "-nodecount=-1", allocs],
                 pprof: ["-top", "-nodecount=-1", allocs]),
            Case(name: "top_heap.txt", memprof: ["top", heap], pprof: ["-top", heap]),
            Case(name: "top_heap_alloc_space.txt", memprof: ["top", "--alloc_space", heap],
                 pprof: ["-top", "-sample_index=alloc_space", heap]),
            Case(name: "top_allocs_default.txt", memprof: ["top", allocs], pprof: ["-top", allocs]),
            Case(name: "top_allocs_n3_cum.txt", memprof: ["top", "-n", "3", "--cum", allocs],
                 pprof: ["-top", "-nodecount=3", "-cum", allocs]),
            Case(name: "top_gc1_alloc_objects_nodefraction0.txt",
                 memprof: ["top", "--sample-index", "alloc_objects", "--nodefraction", "0", gc1],
                 pprof: ["-top", "-sample_index=alloc_objects", "-nodefraction=0", gc1]),
            Case(name: "top_gc1_index1.txt", memprof: ["top", "--sample-index", "1", gc1],
                 pprof: ["-top", "-sample_index=1", gc1]),
            Case(name: "top_heap_single_dash.txt",
                 memprof: ["top", "-inuse_objects", "-nodecount=4", "-cum", heap],
                 pprof: ["-top", "-inuse_objects", "-nodecount=4", "-cum", heap]),
            Case(name: "top_allocs_focus_net.txt",
                 memprof: ["top", "--alloc_space", "--focus", "net", "--nodefraction", "0", allocs],
                 pprof: ["-top", "-sample_index=alloc_space", "-focus=net", "-nodefraction=0", allocs]),
            Case(name: "top_allocs_ignore_hide.txt",
                 memprof: ["top", "--alloc_objects", "--ignore", "bigBytes", "--hide", "runtime\\.", allocs],
                 pprof: ["-top", "-sample_index=alloc_objects", "-ignore=bigBytes", "-hide=runtime\\.", allocs]),
            Case(name: "top_heap_lines.txt", memprof: ["top", "--alloc_space", "--granularity", "lines", heap],
                 pprof: ["-top", "-sample_index=alloc_space", "-lines", heap]),
            Case(name: "top_gc1_base_heap.txt", memprof: ["top", "--alloc_space", "--base", heap, gc1],
                 pprof: ["-top", "-sample_index=alloc_space", "-base", heap, gc1]),
            Case(name: "top_gc1_diff_base_heap.txt",
                 memprof: ["top", "--alloc_objects", "--diff-base", heap, gc1],
                 pprof: ["-top", "-sample_index=alloc_objects", "-diff_base", heap, gc1]),
            Case(name: "peek_heap_runtime_main.txt", memprof: ["peek", "runtime.main", "--alloc_objects", heap],
                 pprof: ["-peek=runtime.main", "-sample_index=alloc_objects", heap]),
            Case(name: "traces_gc1.txt", memprof: ["traces", "--alloc_space", gc1],
                 pprof: ["-traces", "-sample_index=alloc_space", gc1]),
            Case(name: "traces_heap_focus.txt", memprof: ["traces", "--focus", "malg", heap],
                 pprof: ["-traces", "-focus=malg", heap]),
            Case(name: "list_heap_bigBytes.txt",
                 memprof: ["list", "main.bigBytes", "--alloc_space", "--trim-path", "goseed", "heap.pb.gz"],
                 pprof: ["-list=main.bigBytes", "-sample_index=alloc_space", "-trim_path=goseed", "heap.pb.gz"],
                 inFixtures: true),
            Case(name: "list_heap_no_source.txt",
                 memprof: ["list", "runtime.main", "--alloc_space", heap],
                 pprof: ["-list=runtime.main", "-sample_index=alloc_space", heap]),
        ]
    }()

    func testReportsEqualGoToolPprof() throws {
        for c in Self.cases {
            // A fixed folder, so pprof's "could not find file ... on path DIR" lines are stable.
            let dir = c.inFixtures ? CLI.goFixtures : URL(fileURLWithPath: "/")
            let r = try CLI.memprof(c.memprof, directory: dir)
            XCTAssertEqual(r.status, 0, "\(c.memprof): \(r.stderr)")
            XCTAssertEqual(r.stderr, "", "\(c.memprof)")
            try CLI.assertGolden(r.stdout, c.name, record: { try CLI.pprof(c.pprof, directory: dir) })
        }
    }

    /// The recorded `pprof-top.txt` of the fixtures (made when the profiles were taken).
    func testReferenceTopFile() throws {
        let text = try String(contentsOfFile: CLI.fixture("pprof-top.txt"), encoding: .utf8)
        let sections = text.components(separatedBy: "=== ").dropFirst()
        XCTAssertEqual(sections.count, 6)
        for chunk in sections {
            let header = chunk.prefix { $0 != "\n" }.split(separator: " ")
            let expected = String(chunk.drop { $0 != "\n" }.dropFirst())
            let r = try CLI.memprof(["top", "--\(header[1])_space", CLI.fixture(String(header[0]))])
            XCTAssertEqual(r.stdout, expected, "\(header): \(CLI.firstDifference(r.stdout, expected) ?? "")")
        }
    }

    /// A profile served over HTTP gives the same report as the file.
    func testProfileFromURL() throws {
        let server = try TinyHTTPServer(routes: [
            "/debug/pprof/heap": .ok(try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap.pb.gz")))),
        ])
        defer { server.stop() }
        let fromURL = try CLI.memprof(["top", "--alloc_space", "\(server.url)/debug/pprof/heap"])
        let fromFile = try CLI.memprof(["top", "--alloc_space", CLI.fixture("heap.pb.gz")])
        XCTAssertEqual(fromURL.status, 0, fromURL.stderr)
        XCTAssertEqual(fromURL.stdout, fromFile.stdout)
    }

    /// Standard input (`-`) works as a file.
    func testProfileFromStandardInput() throws {
        let fromFile = try CLI.memprof(["top", CLI.fixture("heap.pb.gz")])
        let viaShell = try CLI.run("/bin/sh", ["-c", "'\(product("memprof"))' top - < '\(CLI.fixture("heap.pb.gz"))'"])
        XCTAssertEqual(viaShell.status, 0, viaShell.stderr)
        XCTAssertEqual(viaShell.stdout, fromFile.stdout)
    }
}
