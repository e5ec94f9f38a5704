// swift-tools-version:6.0
import PackageDescription

// memprof's endpoints mounted in a Hummingbird 2 application. Built by Scripts/examples.sh, not
// by the main package: users who do not use Hummingbird never build it.
// A package depended on by path is named after its folder: the checkout's name, whatever it is.
// (An application depending on memprof by URL names it "swift-memprof".)
let memprof = String(Context.packageDirectory.split(separator: "/").dropLast(2).last!)

let package = Package(
    name: "memprof-hummingbird-example",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdExample",
            dependencies: [
                .product(name: "MemprofHTTP", package: memprof),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
