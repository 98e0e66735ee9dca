import CBPF

extension Map {
    /// Every entry, read with BPF_MAP_LOOKUP_BATCH where the kernel and map
    /// type allow it and by next-key iteration otherwise.
    public func entries() throws -> [(key: [UInt8], value: [UInt8])] {
        if let batched = try lookupBatch() { return batched }
        return try keys().compactMap { key in try lookup(key: key).map { (key, $0) } }
    }

    /// Every entry read in batches, or nil when the kernel cannot batch this map.
    public func lookupBatch(chunk: Int = 4096) throws -> [(key: [UInt8], value: [UInt8])]? {
        let keySize = Int(spec.keySize), valueSize = valueBufferSize
        // The batch token is opaque; the kernel writes at most a key's worth.
        var token = [UInt8](repeating: 0, count: max(keySize, 8))
        var nextToken = token
        var chunk = max(chunk, 1)
        var out: [(key: [UInt8], value: [UInt8])] = []
        var first = true
        while true {
            var keys = [UInt8](repeating: 0, count: keySize * chunk)
            var values = [UInt8](repeating: 0, count: valueSize * chunk)
            var attr = bpf_attr()
            var failure: BPFError?
            token.withUnsafeMutableBytes { inTok in
                nextToken.withUnsafeMutableBytes { outTok in
                    keys.withUnsafeMutableBytes { k in
                        values.withUnsafeMutableBytes { v in
                            attr.batch.in_batch = first ? 0 : Sys.address(inTok.baseAddress)
                            attr.batch.out_batch = Sys.address(outTok.baseAddress)
                            attr.batch.keys = Sys.address(k.baseAddress)
                            attr.batch.values = Sys.address(v.baseAddress)
                            attr.batch.count = UInt32(chunk)
                            attr.batch.map_fd = UInt32(fd.rawValue)
                            do { try Sys.bpf(BPF_MAP_LOOKUP_BATCH, &attr, "read map \"\(spec.name)\" in batches") } catch {
                                failure = error as? BPFError
                            }
                        }
                    }
                }
            }
            let got = Int(attr.batch.count)
            if let failure {
                switch failure.errno {
                case .noEntry: break // the last batch; `got` entries are still valid
                case .noSpace where got == 0:
                    chunk *= 2 // one hash bucket holds more than `chunk` entries
                    continue
                case .invalidArgument where first, .notSupported where first, .kernelNotSupported where first:
                    return nil
                default: throw failure
                }
            }
            for i in 0..<got {
                out.append((Array(keys[i * keySize..<(i + 1) * keySize]), Array(values[i * valueSize..<(i + 1) * valueSize])))
            }
            if failure != nil { return out }
            swap(&token, &nextToken)
            first = false
        }
    }
}
