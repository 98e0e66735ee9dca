/// A DEFLATE (RFC 1951) decoder inside a zlib (RFC 1950) stream: what
/// `gcc -gz` and `objcopy --compress-debug-sections` put in SHF_COMPRESSED
/// debug sections. The stream comes from a file anyone may have written, so
/// every code, length and distance is checked and the output is bounded by
/// the size the section header promised.
public enum Inflate {
    public struct Failure: Error, Equatable { public let reason: String }

    /// The bytes of a zlib stream, which must inflate to exactly `size` bytes.
    public static func zlib(_ input: ArraySlice<UInt8>, size: Int) throws(Failure) -> [UInt8] {
        guard input.count >= 2, input[input.startIndex] & 0x0f == 8,
              (UInt16(input[input.startIndex]) << 8 | UInt16(input[input.startIndex + 1])) % 31 == 0 else {
            throw Failure(reason: "not a zlib stream")
        }
        guard input[input.startIndex + 1] & 0x20 == 0 else { throw Failure(reason: "a zlib preset dictionary") }
        var d = Decoder(input: input.dropFirst(2), limit: size)
        try d.run()
        guard d.out.count == size else { throw Failure(reason: "inflated to \(d.out.count) bytes, not \(size)") }
        return d.out
    }

    /// A canonical Huffman code: symbols by code length, counted per length.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(Failure) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for l in 1..<16 {
                left = left * 2 - counts[l]
                guard left >= 0 else { throw Failure(reason: "an over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }
    }

    struct Decoder {
        let input: ArraySlice<UInt8>
        let limit: Int
        var at: Int
        var bitBuffer: UInt64 = 0
        var bitCount = 0
        var out: [UInt8] = []

        init(input: ArraySlice<UInt8>, limit: Int) {
            self.input = input
            self.limit = limit
            self.at = input.startIndex
            out.reserveCapacity(limit)
        }

        mutating func bits(_ n: Int) throws(Failure) -> Int {
            while bitCount < n {
                guard at < input.endIndex else { throw Failure(reason: "the stream ends early") }
                bitBuffer |= UInt64(input[at]) << UInt64(bitCount)
                at += 1
                bitCount += 8
            }
            let v = Int(bitBuffer & ((1 << UInt64(n)) - 1))
            bitBuffer >>= UInt64(n)
            bitCount -= n
            return v
        }

        /// One symbol, read a bit at a time (codes are sent most significant bit first).
        mutating func decode(_ h: Huffman) throws(Failure) -> Int {
            var code = 0, first = 0, index = 0
            for l in 1..<16 {
                code |= try bits(1)
                let count = h.counts[l]
                if code - first < count { return h.symbols[index + code - first] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(reason: "a code not in its table")
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                   1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

        mutating func run() throws(Failure) {
            var last = 0
            repeat {
                last = try bits(1)
                switch try bits(2) {
                case 0: try stored()
                case 1: try block(Decoder.fixedLengths, Decoder.fixedDistances)
                case 2:
                    let (lengths, distances) = try dynamicCodes()
                    try block(lengths, distances)
                default: throw Failure(reason: "a reserved block type")
                }
            } while last == 0
        }

        mutating func stored() throws(Failure) {
            bitBuffer = 0
            bitCount = 0
            guard at + 4 <= input.endIndex else { throw Failure(reason: "the stream ends early") }
            let len = Int(input[at]) | Int(input[at + 1]) << 8
            let nlen = Int(input[at + 2]) | Int(input[at + 3]) << 8
            guard len == ~nlen & 0xffff else { throw Failure(reason: "a stored block's length check fails") }
            at += 4
            guard at + len <= input.endIndex else { throw Failure(reason: "the stream ends early") }
            guard out.count + len <= limit else { throw Failure(reason: "inflates past the size it claims") }
            out += input[at..<at + len]
            at += len
        }

        static let fixedLengths = try! Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
        static let fixedDistances = try! Huffman(lengths: [Int](repeating: 5, count: 30))

        mutating func dynamicCodes() throws(Failure) -> (Huffman, Huffman) {
            let literals = try bits(5) + 257, distances = try bits(5) + 1, codeLengths = try bits(4) + 4
            guard literals <= 286, distances <= 30 else { throw Failure(reason: "too many codes") }
            let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
            var lengthLengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeLengths { lengthLengths[order[i]] = try bits(3) }
            let lengthCode = try Huffman(lengths: lengthLengths)
            var lengths: [Int] = []
            while lengths.count < literals + distances {
                let symbol = try decode(lengthCode)
                switch symbol {
                case 0..<16: lengths.append(symbol)
                case 16:
                    guard let previous = lengths.last else { throw Failure(reason: "a repeat with nothing before it") }
                    lengths += repeatElement(previous, count: 3 + (try bits(2)))
                case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
                default: lengths += repeatElement(0, count: 11 + (try bits(7)))
                }
            }
            guard lengths.count == literals + distances else { throw Failure(reason: "code lengths overrun") }
            guard lengths[256] != 0 else { throw Failure(reason: "no end-of-block code") }
            return (try Huffman(lengths: Array(lengths[..<literals])), try Huffman(lengths: Array(lengths[literals...])))
        }

        mutating func block(_ lengths: Huffman, _ distances: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(lengths)
                if symbol < 256 {
                    guard out.count < limit else { throw Failure(reason: "inflates past the size it claims") }
                    out.append(UInt8(symbol))
                    continue
                }
                if symbol == 256 { return }
                let l = symbol - 257
                guard l < Decoder.lengthBase.count else { throw Failure(reason: "a bad length code") }
                let length = Decoder.lengthBase[l] + (try bits(Decoder.lengthExtra[l]))
                let d = try decode(distances)
                guard d < 30 else { throw Failure(reason: "a bad distance code") }
                let distance = Decoder.distanceBase[d] + (try bits(Decoder.distanceExtra[d]))
                guard distance <= out.count else { throw Failure(reason: "a distance before the start") }
                guard out.count + length <= limit else { throw Failure(reason: "inflates past the size it claims") }
                let from = out.count - distance
                for i in 0..<length { out.append(out[from + i]) }
            }
        }
    }
}
