import Foundation
import Glibc
import XCTest

@testable import Memprof

/// `ProcessMemory.read` on live processes: this one, a child, gone and foreign ones.
final class ProcessMemoryTests: XCTestCase {
    /// Addresses a helper thread reports: a local of its stack and a small malloc block.
    private final class ThreadProbe: @unchecked Sendable {
        var stackAddress: UInt64 = 0
        var heapBlock: UnsafeMutableRawPointer?
        let ready = DispatchSemaphore(value: 0)
        let finish = DispatchSemaphore(value: 0)
    }

    func testReadSelfIsConsistentAndClassifiesKnownAddresses() throws {
        let probe = ThreadProbe()
        let thread = Thread {
            var local = 42
            withUnsafeMutablePointer(to: &local) { probe.stackAddress = UInt64(UInt(bitPattern: $0)) }
            probe.heapBlock = malloc(100)
            probe.ready.signal()
            probe.finish.wait()
            free(probe.heapBlock)
        }
        thread.start()
        probe.ready.wait()
        defer { probe.finish.signal() }

        // 256 MiB is above glibc's largest mmap threshold (32 MiB) and larger than any free
        // chunk other tests leave in the heaps: malloc maps it on its own.
        let bigBlock = try XCTUnwrap(malloc(256 << 20))
        defer { free(bigBlock) }
        memset(bigBlock, 1, 4 << 20)
        let smallBlock = try XCTUnwrap(malloc(48))
        defer { free(smallBlock) }
        var mainLocal = 7

        // glibc may trim its heap during the read (it mallocs): bracket it with statm readings.
        let rssBefore = Memprof.currentResidentBytes()
        let memory = try ProcessMemory.read()
        let rssAfter = Memprof.currentResidentBytes()
        let slack = 2 << 20
        let rssRange = (min(rssBefore, rssAfter) - slack)...(max(rssBefore, rssAfter) + slack)
        let breakdown = memory.breakdown

        // Status totals.
        XCTAssertEqual(memory.pid, getpid())
        XCTAssertGreaterThan(memory.residentBytes, 4 << 20)
        XCTAssertLessThanOrEqual(memory.residentBytes, memory.virtualBytes)
        XCTAssertGreaterThanOrEqual(memory.virtualBytes, 256 << 20)
        XCTAssertGreaterThanOrEqual(memory.peakVirtualBytes, memory.virtualBytes)
        XCTAssertGreaterThanOrEqual(memory.peakResidentBytes, memory.residentBytes)
        XCTAssertEqual(memory.rssAnon + memory.rssFile + memory.rssShmem, memory.residentBytes)
        XCTAssertGreaterThan(memory.rssAnon, 4 << 20)
        XCTAssertGreaterThan(memory.rssFile, 0)
        XCTAssertGreaterThanOrEqual(memory.threads, 2)

        // The breakdown adds up to the smaps total, which is close to VmRSS.
        var sumOfGroups = ProcessMemory.Usage()
        for group in breakdown.groups { sumOfGroups.add(group.usage) }
        XCTAssertEqual(sumOfGroups, breakdown.total)
        XCTAssertEqual(breakdown.total.residentBytes, breakdown.mappings.reduce(0) { $0 + $1.residentBytes })
        XCTAssertEqual(breakdown.total.mappings, breakdown.mappings.count)
        XCTAssertTrue(rssRange.contains(memory.residentBytes), "\(memory.residentBytes) \(rssRange)")
        XCTAssertTrue(rssRange.contains(breakdown.total.residentBytes), "\(breakdown.total.residentBytes) \(rssRange)")
        XCTAssertLessThanOrEqual(breakdown.total.proportionalBytes, breakdown.total.residentBytes)
        for group in breakdown.groups {
            var parts = group.code
            parts.add(group.data)
            parts.add(group.readOnly)
            XCTAssertEqual(parts, group.usage, group.name)
        }

        // The test binary is a file with resident code.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let binary = try XCTUnwrap(breakdown.groups(in: .file).first { $0.name == executable })
        XCTAssertGreaterThan(binary.code.virtualBytes, 0)
        XCTAssertGreaterThan(binary.code.residentBytes, 0)
        XCTAssertGreaterThan(binary.data.virtualBytes, 0)
        let libc = try XCTUnwrap(breakdown.groups(in: .file).first { $0.name.hasSuffix("/libc.so.6") })
        XCTAssertGreaterThan(libc.code.residentBytes, 0)

        // Known addresses land in the right categories.
        XCTAssertTrue(breakdown.readMallocHeaders)
        XCTAssertEqual(breakdown.mapping(containing: probe.stackAddress)?.category, .threadStack)
        XCTAssertEqual(breakdown.mapping(containing: UnsafeRawPointer(probe.heapBlock!))?.category, .mallocHeap)
        XCTAssertEqual(breakdown.mapping(containing: UnsafeRawPointer(smallBlock))?.category, .mallocHeap)
        let big = try XCTUnwrap(breakdown.mapping(containing: UnsafeRawPointer(bigBlock)))
        XCTAssertEqual(big.category, .mallocMmapped, "\(big) \(bigBlock)")
        XCTAssertGreaterThanOrEqual(big.residentBytes, 4 << 20)
        withUnsafeMutablePointer(to: &mainLocal) { local in
            XCTAssertEqual(breakdown.mapping(containing: UnsafeRawPointer(local))?.category, .mainStack)
        }

        let stacks = try XCTUnwrap(breakdown.groups(in: .threadStack).first)
        XCTAssertGreaterThanOrEqual(stacks.count, 1)
        XCTAssertGreaterThan(stacks.usage.residentBytes, 0)
        XCTAssertGreaterThanOrEqual(stacks.readOnly.mappings, 1, "guard pages")
        XCTAssertGreaterThanOrEqual(breakdown.usage(of: .mallocMmapped).residentBytes, 4 << 20)
        XCTAssertEqual(breakdown.groups(in: .mainStack).count, 1)
        XCTAssertTrue(breakdown.groups(in: .special).contains { $0.name == "[vdso]" })
        XCTAssertTrue(memory.description.contains("malloc mmapped blocks"), memory.description)
    }

    /// The hook's own tables (mapped by the sampler at rate 1) show as memprof's, not as the
    /// program's anonymous memory: every range it recorded lies in a `.profiler` mapping, and
    /// those mappings hold nothing else.
    func testTheHooksTablesAreShownAsTheProfilers() throws {
        let saved = HeapProfile.samplingRate
        HeapProfile.samplingRate = 1
        defer { HeapProfile.samplingRate = saved }
        let blocks = (0..<2000).map { malloc(64 + $0 % 512)! }
        defer { blocks.forEach { free($0) } }
        // Other threads of this process may grow their tables meanwhile: take a reading
        // during which the hook's ranges stayed the same (its mappings are at new addresses
        // each time, so equal lists before and after mean none changed in between).
        var reading: (ranges: [Range<UInt64>], memory: ProcessMemory)?
        for _ in 0..<20 where reading == nil {
            let before = ProcessMemory.ownRanges()
            let memory = try ProcessMemory.read()
            if Set(ProcessMemory.ownRanges()) == Set(before) { reading = (before, memory) }
        }
        let (ranges, memory) = try XCTUnwrap(reading, "the hook's ranges changed during every reading")
        XCTAssertFalse(ranges.isEmpty, "the sampler mapped its tables")
        let breakdown = memory.breakdown
        for range in ranges {
            XCTAssertEqual(breakdown.mapping(containing: range.lowerBound)?.category, .profiler, "\(range)")
            XCTAssertEqual(breakdown.mapping(containing: range.upperBound - 1)?.category, .profiler, "\(range)")
        }
        let recorded = SmapsClassifier.merged(ranges).reduce(0) { $0 + Int($1.count) }
        XCTAssertEqual(breakdown.usage(of: .profiler).virtualBytes, recorded)
        XCTAssertGreaterThan(breakdown.usage(of: .profiler).residentBytes, 0)
        XCTAssertTrue(memory.description.contains("memprof (the profiler's own tables)"), memory.description)
    }

    /// A reading of the hook's ranges that is stale by the time smaps is read (here: the
    /// first one, empty) is noticed and smaps is read again with the fresh ranges.
    func testRangesThatChangeDuringTheReadingAreReadAgain() throws {
        let saved = HeapProfile.samplingRate
        HeapProfile.samplingRate = 1
        defer { HeapProfile.samplingRate = saved }
        let blocks = (0..<500).map { malloc(64 + $0)! }
        defer { blocks.forEach { free($0) } }
        var calls = 0
        let memory = try ProcessMemory.read(profilerRanges: { () -> [Range<UInt64>] in
            calls += 1
            return calls == 1 ? [] : ProcessMemory.ownRanges()
        })
        XCTAssertGreaterThanOrEqual(calls, 3, "read, found changed, read again")
        XCTAssertGreaterThan(memory.breakdown.usage(of: .profiler).virtualBytes, 0)
        XCTAssertGreaterThan(memory.breakdown.usage(of: .profiler).residentBytes, 0)
    }

    func testReadChildProcessByPID() throws {
        // cat echoing a line back proves it has exec'd and run (its pages are faulted in) and
        // is now blocked reading its input.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/cat")
        let input = Pipe()
        let output = Pipe()
        child.standardInput = input
        child.standardOutput = output
        try child.run()
        defer {
            try? input.fileHandleForWriting.close()
            child.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data("ready\n".utf8))
        XCTAssertEqual(output.fileHandleForReading.availableData, Data("ready\n".utf8))
        let pid = child.processIdentifier
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        XCTAssertTrue(executable.hasSuffix("/cat"), executable)

        let memory = try ProcessMemory.read(pid: pid)
        XCTAssertEqual(memory.pid, pid)
        XCTAssertEqual(memory.threads, 1)
        XCTAssertGreaterThan(memory.residentBytes, 0)
        XCTAssertLessThanOrEqual(memory.residentBytes, memory.virtualBytes)
        XCTAssertEqual(memory.rssAnon + memory.rssFile + memory.rssShmem, memory.residentBytes)
        // cat is a small C program: far smaller than this test process.
        XCTAssertLessThan(memory.residentBytes, try ProcessMemory.read().residentBytes)
        let breakdown = memory.breakdown
        XCTAssertTrue(breakdown.readMallocHeaders, "root may read the child's memory")
        let catBinary = try XCTUnwrap(breakdown.groups(in: .file).first { $0.name == executable })
        XCTAssertGreaterThan(catBinary.code.residentBytes, 0)
        XCTAssertEqual(breakdown.groups(in: .mainStack).count, 1)
        XCTAssertTrue(breakdown.groups(in: .threadStack).isEmpty)
        XCTAssertFalse(breakdown.groups.contains { $0.name == "malloc arenas" })
    }

    func testReapedChildIsNoSuchProcess() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let pid = child.processIdentifier
        XCTAssertThrowsError(try ProcessMemory.read(pid: pid)) { error in
            guard let error = error as? ProcessMemoryError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .noSuchProcess)
            XCTAssertEqual(error.description, "no process with pid \(pid)")
        }
    }

    func testInvalidPIDs() {
        for pid: Int32 in [0, -1, -12345] {
            XCTAssertThrowsError(try ProcessMemory.read(pid: pid)) { error in
                XCTAssertEqual((error as? ProcessMemoryError)?.kind, .invalidPID)
                XCTAssertEqual("\(error)", "invalid pid \(pid)")
            }
        }
    }

    func testErrorKindsFollowErrno() {
        let denied = ProcessMemoryError(pid: 1, path: "/proc/1/smaps", errno: EACCES)
        XCTAssertEqual(denied.kind, .permissionDenied)
        XCTAssertEqual(ProcessMemoryError(pid: 1, path: "/proc/1/smaps", errno: EPERM).kind, .permissionDenied)
        XCTAssertEqual(ProcessMemoryError(pid: 9, path: "/proc/9/smaps", errno: ESRCH).kind, .noSuchProcess)
        let other = ProcessMemoryError(pid: 9, path: "/proc/9/smaps", errno: EIO)
        XCTAssertEqual(other.kind, .readFailed)
        XCTAssertEqual(other.description, "cannot read /proc/9/smaps: Input/output error")
    }

    /// Run as root, this test runs itself again as user `nobody` (with `setpriv`), reading this
    /// root-owned process; that child run expects `.permissionDenied` and fails otherwise.
    func testAnotherUsersProcessIsPermissionDenied() throws {
        let environment = ProcessInfo.processInfo.environment
        if let target = environment["MEMPROF_TEST_FOREIGN_PID"].flatMap(Int32.init) {
            XCTAssertNotEqual(getuid(), 0)
            XCTAssertThrowsError(try ProcessMemory.read(pid: target)) { error in
                guard let error = error as? ProcessMemoryError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .permissionDenied)
                XCTAssertEqual(error.path, "/proc/\(target)/smaps")
                XCTAssertTrue(error.description.hasPrefix("permission denied reading /proc/\(target)/smaps"))
            }
            return
        }
        if getuid() != 0 {
            // Not root: pid 1 belongs to root (or to us inside a user namespace).
            var info = stat()
            guard stat("/proc/1", &info) == 0, info.st_uid != getuid() else { return }
            XCTAssertEqual((try? ProcessMemory.read(pid: 1)).map { _ in "read" }, nil)
            return
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        child.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", executable,
                           "MemprofTests.ProcessMemoryTests/testAnotherUsersProcessIsPermissionDenied"]
        child.environment = environment.merging(["MEMPROF_TEST_FOREIGN_PID": "\(getpid())"]) { $1 }
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Executed 1 test, with 0 failures"), text)
    }
}
