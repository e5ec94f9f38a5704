/// Go's /debug/pprof endpoints on SwiftNIO.
public enum MemprofHTTP {}
