/// Symbolication: addresses and mappings to demangled names and file:line.
public enum MemprofSymbolication {}
