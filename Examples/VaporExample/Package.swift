// swift-tools-version:6.0
import PackageDescription

// A package depended on by path is named after its folder: the checkout's name, whatever it is.
// (An application depending on memprof by URL names it "swift-memprof".)
let memprof = String(Context.packageDirectory.split(separator: "/").dropLast(2).last!)

// memprof's endpoints mounted in a Vapor 4 application. Built by Scripts/examples.sh, not by
// the main package: users who do not use Vapor never build it.
let package = Package(
    name: "memprof-vapor-example",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/vapor/vapor", from: "4.100.0"),
    ],
    targets: [
        .executableTarget(
            name: "VaporExample",
            dependencies: [
                .product(name: "MemprofHTTP", package: memprof),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
    ]
)
