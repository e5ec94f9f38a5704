@testable import MemprofAnalysis
import XCTest

/// Number formatting, checked against values `go tool pprof` prints.
final class MeasurementTests: XCTestCase {
    func testScaledLabels() {
        XCTAssertEqual(Measurement.label(524_493, unit: "bytes"), "512.20kB")
        XCTAssertEqual(Measurement.label(1_048_576, unit: "bytes"), "1MB")
        XCTAssertEqual(Measurement.label(0, unit: "bytes"), "0")
        XCTAssertEqual(Measurement.label(-2048, unit: "bytes"), "-2kB")
        XCTAssertEqual(Measurement.label(1023, unit: "bytes"), "1023B")
        XCTAssertEqual(Measurement.label(1_500_000_000, unit: "nanoseconds"), "1.50s")
        XCTAssertEqual(Measurement.label(7_200_000_000_000, unit: "nanoseconds"), "2hrs")
        XCTAssertEqual(Measurement.label(12, unit: "count"), "12")
        XCTAssertEqual(Measurement.label(12, unit: "widgets"), "12")
        XCTAssertEqual(Measurement.scaledLabel(12, from: "widgets", to: "widgets"), "12widgets")
        XCTAssertEqual(Measurement.scaledLabel(524_288, from: "bytes", to: "MB"), "0.50MB")
        XCTAssertEqual(Measurement.scaledLabel(900_071_424, from: "bytes", to: "MB"), "858.38MB")
        XCTAssertEqual(Measurement.scaledLabel(3, from: "bytes", to: "MB"), "0")
    }

    func testPercentages() {
        XCTAssertEqual(Measurement.percentage(524_493, of: 1_048_832), "50.01%")
        XCTAssertEqual(Measurement.percentage(1_048_832, of: 1_048_832), "  100%")
        XCTAssertEqual(Measurement.percentage(524_288, of: 901_680_000), "0.058%")
        XCTAssertEqual(Measurement.percentage(0, of: 10), "    0%")
        XCTAssertEqual(Measurement.percentage(5, of: 0), "    0%")
        XCTAssertEqual(Measurement.percentage(-5, of: 10), "50.00%")
        XCTAssertEqual(Measurement.percentage(1, of: 100_000), "0.001%")
        XCTAssertEqual(Measurement.percentage(1, of: 10_000_000), "1e-05%")
        XCTAssertEqual(Measurement.percentage(9996, of: 1_000_000), "    1%")
        XCTAssertEqual(Measurement.percentage(5, of: 1000), "  0.5%")
    }

    func testGoPathHelpers() {
        XCTAssertEqual(GoPath.base("/usr/lib/libc.so.6"), "libc.so.6")
        XCTAssertEqual(GoPath.base("dir/"), "dir")
        XCTAssertEqual(GoPath.base("/"), "/")
        XCTAssertEqual(GoPath.clean("a//b/./c/../d"), "a/b/d")
        XCTAssertEqual(GoPath.clean("/../x"), "/x")
        XCTAssertEqual(GoPath.clean("../../x"), "../../x")
        XCTAssertEqual(GoPath.clean("./"), ".")
    }

    func testTimestamp() {
        useUTC()
        XCTAssertEqual(LocalTime.pprofTimestamp(nanos: 1_795_773_720_000_000_000), "Nov 27, 2026 at 10:02am (UTC)")
        XCTAssertEqual(LocalTime.pprofTimestamp(nanos: 1_000_000_000), "Jan 1, 1970 at 12:00am (UTC)")
        XCTAssertEqual(LocalTime.pprofTimestamp(nanos: 43_200_000_000_000 + 59_000_000_000), "Jan 1, 1970 at 12:00pm (UTC)")
    }

    func testSimplifiedFunctionName() {
        XCTAssertEqual(simplifiedFunctionName("foo(int)"), "foo")
        XCTAssertEqual(simplifiedFunctionName(".bar"), "bar")
        XCTAssertEqual(simplifiedFunctionName("(anonymous namespace)::f(int)"), "(anonymous namespace)::f")
        XCTAssertEqual(simplifiedFunctionName("A::operator()(int)"), "A::operator()")
    }
}
