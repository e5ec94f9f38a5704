// A Swift program whose allocations happen inside C libraries built without frame pointers,
// as in a Swift service: SQLite (open an in-memory database, create a table, insert rows,
// query them) and zlib (compress and uncompress a buffer). The stack tests check that each
// allocation's stack reaches main through the library's frames.
// Build: swiftc -O -g -import-objc-header sqlite_zlib_stacks.h sqlite_zlib_stacks.swift -lsqlite3 -lz
#if canImport(Glibc)
import Glibc
#endif

// SQLITE_TRANSIENT: SQLite copies the bound value (into memory it allocates).
let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

func check(_ rc: Int32, _ what: String, _ db: OpaquePointer?) {
    guard rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW else {
        fatalError("\(what): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "rc \(rc)")")
    }
}

@inline(never) func storeOpen() -> OpaquePointer {
    var db: OpaquePointer?
    check(sqlite3_open(":memory:", &db), "open", db)
    return db!
}

@inline(never) func storeCreateTable(_ db: OpaquePointer) {
    check(sqlite3_exec(db, "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, payload BLOB)", nil, nil, nil), "create", db)
    check(sqlite3_exec(db, "CREATE INDEX items_name ON items(name)", nil, nil, nil), "index", db)
}

@inline(never) func storeInsertRows(_ db: OpaquePointer, _ count: Int) {
    var stmt: OpaquePointer?
    check(sqlite3_prepare_v2(db, "INSERT INTO items(name, payload) VALUES(?, ?)", -1, &stmt, nil), "prepare insert", db)
    let payload = [UInt8](repeating: 0x5a, count: 3000)
    check(sqlite3_exec(db, "BEGIN", nil, nil, nil), "begin", db)
    for i in 0..<count {
        check(sqlite3_bind_text(stmt, 1, "item-\(i * 7919 % count)", -1, transient), "bind", db)
        check(payload.withUnsafeBytes { sqlite3_bind_blob(stmt, 2, $0.baseAddress, Int32($0.count), transient) }, "bind", db)
        check(sqlite3_step(stmt), "insert", db)
        check(sqlite3_reset(stmt), "reset", db)
    }
    check(sqlite3_exec(db, "COMMIT", nil, nil, nil), "commit", db)
    sqlite3_finalize(stmt)
}

@inline(never) func storeQueryRows(_ db: OpaquePointer) -> Int {
    var stmt: OpaquePointer?
    check(sqlite3_prepare_v2(db, "SELECT name, length(payload) FROM items WHERE id % 3 = 0 ORDER BY name DESC", -1, &stmt, nil),
          "prepare select", db)
    var bytes = 0
    while sqlite3_step(stmt) == SQLITE_ROW { bytes += Int(sqlite3_column_int(stmt, 1)) + Int(sqlite3_column_bytes(stmt, 0)) }
    sqlite3_finalize(stmt)
    return bytes
}

@inline(never) func compressRoundTrip(_ size: Int) -> Int {
    let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 31 / 7) }
    var compressed = [UInt8](repeating: 0, count: Int(compressBound(uLong(size))))
    var compressedSize = uLongf(compressed.count)
    guard compress2(&compressed, &compressedSize, input, uLong(size), 9) == Z_OK else { fatalError("compress2") }
    var output = [UInt8](repeating: 0, count: size)
    var outputSize = uLongf(size)
    guard uncompress(&output, &outputSize, compressed, compressedSize) == Z_OK, output == input else { fatalError("uncompress") }
    return Int(compressedSize)
}

let db = storeOpen()
storeCreateTable(db)
storeInsertRows(db, 2000)
let selected = storeQueryRows(db)
sqlite3_close(db)
var compressed = 0
for _ in 0..<20 { compressed += compressRoundTrip(1 << 20) }
print(selected, compressed)
