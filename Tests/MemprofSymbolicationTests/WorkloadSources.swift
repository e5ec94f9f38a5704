/// Swift and C sources compiled by the tests into optimized binaries with debug info, to
/// compare this module's answers with llvm-symbolizer's. They use generics, protocols,
/// closures, classes and forced inlining so the binaries have many inlined frames.
enum WorkloadSources {
    static let main = #"""
    protocol Shape { func area() -> Double; var name: String { get } }

    struct Circle: Shape {
        var radius: Double
        @inline(__always) func area() -> Double { return 3.14159 * radius * radius }
        var name: String { return "circle(\(radius))" }
    }

    struct Rect: Shape {
        var w: Double, h: Double
        func area() -> Double { return w * h }
        var name: String { return "rect(\(w)x\(h))" }
    }

    final class Registry<Key: Hashable, Value> {
        private var storage: [Key: [Value]] = [:]
        @inline(__always) func insert(_ v: Value, for k: Key) { storage[k, default: []].append(v) }
        func values(for k: Key) -> [Value] { return storage[k] ?? [] }
        var count: Int { return storage.values.reduce(0) { $0 + $1.count } }
    }

    @inline(__always) func square(_ x: Int) -> Int { return x &* x }
    @inline(__always) func mix(_ a: Int, _ b: Int) -> Int { return square(a) ^ (b &<< 3) }

    @inline(never) func checksum(_ values: [Int]) -> Int {
        var h = 1469598103934665603
        for v in values { h = (h ^ mix(v, h)) &* 1099511628211 }
        return h
    }

    @inline(never) func makeShapes(_ n: Int) -> [any Shape] {
        var shapes: [any Shape] = []
        for i in 0..<n {
            if i % 3 == 0 { shapes.append(Circle(radius: Double(i))) } else { shapes.append(Rect(w: Double(i), h: 2)) }
        }
        return shapes
    }

    @inline(never) func describe(_ shapes: [any Shape]) -> [String] {
        return shapes.filter { $0.area() > 10 }.map { "\($0.name)=\($0.area())" }.sorted()
    }

    @inline(never) func wordFrequencies(_ text: String) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        for word in text.split(separator: " ") { counts[String(word).lowercased(), default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }

    struct Matrix {
        var rows: Int, cols: Int
        var data: [Double]
        init(rows: Int, cols: Int) { self.rows = rows; self.cols = cols; data = Array(repeating: 0, count: rows * cols) }
        @inline(__always) subscript(r: Int, c: Int) -> Double {
            get { return data[r * cols + c] }
            set { data[r * cols + c] = newValue }
        }
        @inline(never) static func * (a: Matrix, b: Matrix) -> Matrix {
            var m = Matrix(rows: a.rows, cols: b.cols)
            for i in 0..<a.rows { for j in 0..<b.cols {
                var s = 0.0
                for k in 0..<a.cols { s += a[i, k] * b[k, j] }
                m[i, j] = s
            } }
            return m
        }
    }

    enum Token: Equatable { case number(Int), plus, times, open, close }

    @inline(never) func tokenize(_ s: String) -> [Token] {
        var out: [Token] = []
        var current: Int? = nil
        for ch in s {
            if let d = ch.wholeNumberValue { current = (current ?? 0) * 10 + d; continue }
            if let c = current { out.append(.number(c)); current = nil }
            switch ch { case "+": out.append(.plus); case "*": out.append(.times)
            case "(": out.append(.open); case ")": out.append(.close); default: break }
        }
        if let c = current { out.append(.number(c)) }
        return out
    }

    @inline(never) func evaluate(_ tokens: [Token]) -> Int {
        var pos = 0
        func term() -> Int {
            var v = factor()
            while pos < tokens.count, tokens[pos] == .times { pos += 1; v &*= factor() }
            return v
        }
        func factor() -> Int {
            guard pos < tokens.count else { return 0 }
            switch tokens[pos] {
            case .number(let n): pos += 1; return n
            case .open: pos += 1; let v = expr(); pos += 1; return v
            default: pos += 1; return 0
            }
        }
        func expr() -> Int {
            var v = term()
            while pos < tokens.count, tokens[pos] == .plus { pos += 1; v &+= term() }
            return v
        }
        return expr()
    }

    let registry = Registry<String, Int>()
    for i in 0..<100 { registry.insert(i, for: "k\(i % 7)") }
    let shapes = makeShapes(30 + CommandLine.arguments.count)
    let text = "the quick brown fox jumps over the lazy dog The Dog barks"
    var a = Matrix(rows: 3, cols: 3); var b = Matrix(rows: 3, cols: 3)
    for i in 0..<3 { a[i, i] = Double(i + 1); b[i, (i + 1) % 3] = 2 }
    print(checksum(Array(0..<50)), describe(shapes).count, wordFrequencies(text).first!, (a * b)[0, 1],
          evaluate(tokenize("2*(3+4)+5")), registry.count, helperMain(CommandLine.arguments.count))
    """#

    static let helper = #"""
    struct Stack<Element> {
        private var items: [Element] = []
        mutating func push(_ e: Element) { items.append(e) }
        mutating func pop() -> Element? { return items.popLast() }
        var isEmpty: Bool { return items.isEmpty }
    }

    extension Array where Element: Comparable {
        @inline(never) func insertionSorted() -> [Element] {
            var out = self
            if out.count < 2 { return out }
            for i in 1..<out.count {
                var j = i
                while j > 0 && out[j - 1] > out[j] { out.swapAt(j - 1, j); j -= 1 }
            }
            return out
        }
    }

    private final class Node {
        var value: Int
        var left: Node?, right: Node?
        init(_ v: Int) { value = v }
        func insert(_ v: Int) {
            if v < value { if let l = left { l.insert(v) } else { left = Node(v) } }
            else { if let r = right { r.insert(v) } else { right = Node(v) } }
        }
        func inorder(_ visit: (Int) -> Void) { left?.inorder(visit); visit(value); right?.inorder(visit) }
    }

    @inline(never) func fibonacci(_ n: Int) -> [Int] {
        var f = [0, 1]
        while f.count < n { f.append(f[f.count - 1] &+ f[f.count - 2]) }
        return f
    }

    @inline(never) func helperMain(_ seed: Int) -> Int {
        var s = Stack<String>()
        for i in 0..<20 { s.push("item\(i * seed)") }
        var total = 0
        while let x = s.pop() { total += x.count }
        let sorted = [5, 3, 9, 1, seed].insertionSorted()
        let root = Node(50)
        for v in fibonacci(25) { root.insert(v % 100) }
        var visited: [Int] = []
        root.inorder { visited.append($0) }
        let joined = visited.map(String.init).joined(separator: ",")
        return total + sorted[0] + joined.utf8.count
    }
    """#

    static let c = #"""
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    static inline unsigned rotl(unsigned x, int k) { return (x << k) | (x >> (32 - k)); }
    static inline unsigned hash_step(unsigned h, unsigned char c) { return rotl(h ^ c, 5) * 0x9e3779b1u; }
    __attribute__((noinline)) unsigned hash(const char *s) {
        unsigned h = 0;
        while (*s) h = hash_step(h, (unsigned char)*s++);
        return h;
    }
    struct node { int key; struct node *next; };
    static inline struct node *push(struct node *head, int key) {
        struct node *n = malloc(sizeof *n);
        n->key = key; n->next = head;
        return n;
    }
    __attribute__((noinline)) int sum_list(int n) {
        struct node *head = NULL;
        for (int i = 0; i < n; i++) head = push(head, i * 3);
        int total = 0;
        while (head) { struct node *next = head->next; total += head->key; free(head); head = next; }
        return total;
    }
    static int compare(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
    __attribute__((noinline)) int median(int *v, int n) { qsort(v, n, sizeof *v, compare); return v[n / 2]; }
    int main(int argc, char **argv) {
        int v[7] = {9, 2, 7, 4, 5, argc, 1};
        printf("%u %d %d\n", hash(argv[0]), sum_list(100 + argc), median(v, 7));
        return 0;
    }
    """#

    static let library = #"""
    @inline(never) public func libraryChecksum(_ values: [Int]) -> Int {
        var h = 0
        for v in values { h = h &* 31 &+ v }
        return h
    }
    """#

    /// A second C unit for `c-mixed`, built with clang (no `.debug_aranges` set).
    static let cExtra = #"""
    #include <string.h>
    static inline unsigned mix(unsigned h, unsigned v) { return (h ^ v) * 0x85ebca6bu; }
    unsigned extra_checksum(const char *s) {
        unsigned h = 7;
        for (size_t i = 0; i < strlen(s); i++) h = mix(h, (unsigned char)s[i]);
        return h;
    }
    int extra_count(const int *v, int n, int k) {
        int c = 0;
        for (int i = 0; i < n; i++)
            if (v[i] % k == 0) c += (int)(mix((unsigned)c, (unsigned)v[i]) & 1u) + 1;
        return c;
    }
    """#
}
