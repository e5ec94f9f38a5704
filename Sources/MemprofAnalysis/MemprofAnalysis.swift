/// Reports over heap profiles (top, list, peek, traces, diff, flame graph).
public enum MemprofAnalysis {}
