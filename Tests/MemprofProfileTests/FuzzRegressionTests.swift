import Foundation
import XCTest
@testable import MemprofProfile

/// Inputs found by the libFuzzer targets in `Fuzz/` (run with `Scripts/fuzz.sh`), kept so
/// the bugs they found stay fixed. Each file in `Fixtures/fuzz` is replayed through the same
/// checks as the fuzz targets; the named tests below pin down what each one found.
final class FuzzRegressionTests: XCTestCase {
    private static let directory = Fixture.testsDirectory.appendingPathComponent("Fixtures/fuzz")

    private func input(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
    }

    /// The checks of `FuzzProfileDecoder` and `FuzzProfileModel` on every saved input: a
    /// `ProfileError` or a profile that round-trips, and model operations that never trap.
    func testEverySavedFuzzInputPassesTheFuzzTargetsChecks() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let profile: Profile
            do {
                profile = try Profile.parse(try input(name))
            } catch let error as ProfileError {
                XCTAssertFalse(error.message.isEmpty || error.message.contains("\n"), name)
                continue
            }
            for gzip in [false, true] {
                XCTAssertEqual(try Profile.parse(profile.encoded(gzip: gzip)), profile, "\(name), gzip \(gzip)")
            }
            if let text = try? profile.legacyHeapText() {
                XCTAssertTrue(text.hasPrefix("heap profile: "), name)
            }
            if profile.samples.allSatisfy({ $0.values.allSatisfy { $0 == .min || $0.magnitude <= 1 << 53 } }),
               let delta = try? profile.subtracting(profile) {
                XCTAssertEqual(delta.samples, [], "\(name): p - p")
            }
            _ = try? Profile.merge([profile, profile.scaled(by: 0.5)])
        }
    }

    /// Found by FuzzProfileModel: a Go contention text whose delay overflows (Go's conversion
    /// makes it Int64.min) did not cancel against itself: `-base` scaled it to Int64.max,
    /// where go tool pprof's int64() gives Int64.min again, and min + min wraps to 0. memprof
    /// showed -1ns; pprof shows 0 of 0.
    func testAnOverflowedDelayCancelsAgainstItself() throws {
        let profile = try Profile.parse(try input("model-contention-min-delay.txt"))
        XCTAssertTrue(profile.samples.contains { $0.values.contains(Int64.min) })
        XCTAssertEqual(try profile.subtracting(profile).samples, [])
    }

    /// Found by FuzzProfileModel, and not a bug: a count of 2,312,848,608,634,048,056 (beyond
    /// 2^53) does not cancel against itself, because `-base` scales by -1 through a Double.
    /// go tool pprof -top -contentions -base=f f leaves the same 56 contentions.
    func testValuesBeyondTwoToThe53LeaveWhatPprofLeaves() throws {
        let profile = try Profile.parse(try input("model-contention-huge-count.txt"))
        let delta = try profile.subtracting(profile)
        XCTAssertEqual(delta.samples.map { $0.values }, [[56, 0]])
    }

    /// Found by FuzzProfileModel: a Go heap profile whose main mapping had lost its file name
    /// (and has no build ID) did not cancel against itself: `p - p` kept every sample twice,
    /// because such a mapping was never found again when merging. pprof keys these "fake"
    /// mappings by size and offset alone.
    func testMappingsWithoutFileOrBuildIDMergeAcrossProfiles() throws {
        let saved = try Profile.parse(try input("model-anonymous-mapping-subtract.pb"))
        XCTAssertTrue(saved.mappings.contains { $0.file.isEmpty && $0.buildID.isEmpty })
        XCTAssertEqual(try saved.subtracting(saved).samples, [])

        let anonymous = Mapping(id: 1, start: 0x7f00_0000_0000, limit: 0x7f00_0001_0000)
        let profile = Profile(
            sampleTypes: [ValueType(type: "inuse_space", unit: "bytes")],
            samples: [Sample(locationIDs: [1], values: [4096])], mappings: [anonymous],
            locations: [Location(id: 1, mappingID: 1, address: 0x7f00_0000_1234)])
        XCTAssertEqual(try profile.subtracting(profile).samples, [])
        var moved = profile  // the same anonymous region elsewhere in a later run
        moved.mappings[0].start += 0x10_0000
        moved.mappings[0].limit += 0x10_0000
        moved.locations[0].address += 0x10_0000
        let merged = try Profile.merge([profile, moved])
        XCTAssertEqual(merged.mappings.count, 1)
        XCTAssertEqual(merged.samples.map(\.values), [[8192]])
    }
}
