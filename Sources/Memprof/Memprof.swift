/// Memprof runtime API.
public enum Memprof {}
