/// The version `memprof --version` prints. Raised with each release, by hand.
enum MemprofVersion {
    static let string = "0.4.0"
}
