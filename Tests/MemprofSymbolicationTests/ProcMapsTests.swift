import Foundation
import MemprofSymbolication
import XCTest

/// Parsing `/proc/PID/maps` lines, including the awkward ones.
final class ProcMapsTests: XCTestCase {
    func testParsesFileAnonymousDeletedAndPseudoMappings() {
        let text = """
        55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234                       /usr/bin/my app
        55d0c0a02000-55d0c0a05000 r-xp 00002000 08:01 1234                       /usr/bin/my app
        7f0000000000-7f0000021000 rw-p 00000000 00:00 0
        7f1000000000-7f1000001000 r-xp 00001000 00:2a 99                         /tmp/libgone.so (deleted)
        7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
        7ffd10000000-7ffd10002000 r-xp 00000000 00:00 0                          [vdso]
        garbage line
        """
        let maps = ProcMaps.parse(text)
        XCTAssertEqual(maps.count, 6)
        XCTAssertEqual(maps[0], MemoryMapping(start: 0x55d0c0a00000, limit: 0x55d0c0a02000, permissions: "r--p",
                                              fileOffset: 0, inode: 1234, path: "/usr/bin/my app"))
        XCTAssertTrue(maps[1].isExecutable)
        XCTAssertFalse(maps[0].isExecutable)
        XCTAssertEqual(maps[1].fileOffset, 0x2000)
        XCTAssertEqual(maps[2].path, "")
        XCTAssertEqual(maps[3].path, "/tmp/libgone.so (deleted)")
        XCTAssertEqual(maps[5].path, "[vdso]")
    }

    func testSelfMapsGroupIntoModulesWithBiasAndBuildID() throws {
        let modules = try ProcMaps.loadedModules()
        XCTAssertFalse(modules.isEmpty)
        let paths = modules.map(\.path)
        XCTAssertEqual(Set(paths).count, paths.count, "one module per file")
        XCTAssertFalse(paths.contains("[stack]") || paths.contains("[heap]") || paths.contains(""))
        let libc = try XCTUnwrap(modules.first { $0.path.contains("libc.so") })
        // readelf agrees on libc's build ID.
        let notes = try TestSupport.run("/usr/bin/readelf", ["-n", libc.path])
        XCTAssertTrue(notes.contains("Build ID: \(libc.buildID)"), "\(libc.buildID) not in\n\(notes)")
        // dlsym's answer for a libc function lies in libc's executable ranges.
        let address = UInt64(UInt(bitPattern: dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getpid")))
        XCTAssertTrue(libc.contains(address))
        XCTAssertEqual(libc.fileAddress(of: address) % 16, address % 16)
    }

    func testDeletedFileIsStillSymbolizedThroughMapFiles() throws {
        // Load a copy of a library, delete the file, then look at our own maps.
        let binary = try TestSupport.workloadBinary("swift-library")
        let dir = try TestSupport.makeTemporaryDirectory("deleted")
        let copy = dir + "/libvictim.so"
        try FileManager.default.copyItem(atPath: binary, toPath: copy)
        let handle = try XCTUnwrap(dlopen(copy, RTLD_LAZY | RTLD_LOCAL), String(cString: dlerror()))
        defer { dlclose(handle) }
        try FileManager.default.removeItem(atPath: copy)
        try? FileManager.default.removeItem(atPath: dir)

        let symbolizer = try Symbolizer()
        let module = try XCTUnwrap(symbolizer.modules.first { $0.path == copy })
        XCTAssertTrue(module.isDeleted)
        XCTAssertTrue(module.openPath.hasPrefix("/proc/self/map_files/"), module.openPath)
        XCTAssertEqual(module.buildID.count, 40)
        let function = try XCTUnwrap(dlsym(handle, "$s8Workload15libraryChecksumySiSaySiGF"))
        let frames = symbolizer.symbolize(UInt64(UInt(bitPattern: function)))
        XCTAssertEqual(frames.last?.function, "Workload.libraryChecksum([Swift.Int]) -> Swift.Int")
        XCTAssertTrue(frames.last?.file.hasSuffix("/Library.swift") == true, frames.last?.file ?? "")
        // Same innermost position as llvm-symbolizer gives for the (undeleted) original at that file address.
        let fileAddress = module.fileAddress(of: UInt64(UInt(bitPattern: function)))
        let llvm = try TestSupport.run(TestSupport.toolchainBin + "/llvm-symbolizer",
                                       ["--obj=" + binary, "0x" + String(fileAddress, radix: 16)])
        let location = llvm.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        let innermost = try XCTUnwrap(frames.first)
        XCTAssertEqual(location, "\(innermost.file):\(innermost.line):\(innermost.column)")
    }
}
