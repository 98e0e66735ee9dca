import AugerScript
import BPF

extension ProbeCodeGen {
    /// tseries(v, interval, n[, agg]): the value goes to bucket
    /// (now / interval) % n of the key, a (value, meta, epoch) triple per
    /// CPU. A bucket holding an older epoch starts over; user space merges
    /// the CPUs' triples of the newest epoch, as bpftrace does.
    func timeSeries(_ map: ScriptMap, _ key: KeyPlace, value v: Int16, interval: Int64, intervals: Int64,
                    _ aggregation: TSeriesAggregation, _ range: SourceRange) throws(CompileError) {
        let now = try pushTemp(range), epoch = try pushTemp(range)
        try clockForTimeSeries(range)
        asm.emit(.store(.u64, fp, now, .r0))
        asm.emit(Instruction.loadImm64(.r1, UInt64(interval)))
        asm.emit(.alu64(.div, .r0, .r1))
        asm.emit(.store(.u64, fp, epoch, .r0))
        asm.emit(Instruction.loadImm64(.r1, UInt64(intervals)))
        asm.emit(.alu64(.mod, .r0, .r1))
        storeKeyWord(key, at: map.userKeySize, .r0)
        let done = label("tsdone"), current = label("tscur")
        try lookupOrInit(map, key, range, missing: done)
        // An older epoch in this bucket: start it over.
        asm.emit(.load(.u64, .r2, .r0, 16), .load(.u64, .r3, fp, epoch))
        asm.jump(.jeq, .r2, .r3, to: current)
        asm.emit(.store(.u64, .r0, 0, imm: 0), .store(.u64, .r0, 8, imm: 0), .store(.u64, .r0, 16, .r3))
        asm.label(current)
        asm.emit(.load(.u64, .r1, fp, v))
        switch aggregation {
        case .none:
            // The last value wins; meta keeps when, to pick the latest across CPUs.
            asm.emit(.store(.u64, .r0, 0, .r1), .load(.u64, .r2, fp, now), .store(.u64, .r0, 8, .r2))
        case .sum:
            addValue()
        case .avg:
            addValue(counting: true)
        case .min, .max:
            // meta says whether the bucket holds a value yet.
            keepExtreme(minimum: aggregation == .min, signed: map.signedValues, done: done)
        }
        asm.label(done)
    }

    /// r0 = the time for tseries(): TAI nanoseconds, or the value of the
    /// script's clock map when one is named for tests.
    func clockForTimeSeries(_ range: SourceRange) throws(CompileError) {
        guard let name = compiler.tseriesClockMap, let clock = compiler.maps[name] else {
            asm.emit(.call(.ktimeGetTaiNs))
            return
        }
        let zero = try pushTemp(range)
        defer { popTemp() }
        asm.emit(.store(.u64, fp, zero, imm: 0))
        asm.loadMap(.r1, clock.spec.name)
        asm.emit(.mov(.r2, fp), .alu64(.add, .r2, Int32(zero)), .call(.mapLookupElem))
        let end = label("clk")
        asm.jump(.jeq, .r0, 0, to: end)
        asm.emit(.load(.u64, .r0, .r0, 0))
        asm.label(end)
    }
}
